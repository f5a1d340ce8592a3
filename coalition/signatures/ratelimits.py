"""Rate limits on the sign and endorsement forms: a burst and a sustained rate, per client IP and per email domain.

Counted by the `limits` library in fixed windows, in the shared Redis (RATELIMIT_STORAGE_URI), one round trip per
rate. A sign POST counts four rates; django-ratelimit, used before, took two round trips and far more CPU for each.
"""

import hashlib
import ipaddress
import logging
from functools import cache

from django.conf import settings
from limits import RateLimitItemPerDay, RateLimitItemPerHour, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from publicsuffixlist import PublicSuffixList

from coalition.core.models import Switches

from .services import COMMON_DOMAINS

logger = logging.getLogger(__name__)

# The Public Suffix List, as shipped with the package (no download at run time).
_SUFFIXES = PublicSuffixList()
_PER = {"s": RateLimitItemPerSecond, "m": RateLimitItemPerMinute, "h": RateLimitItemPerHour, "d": RateLimitItemPerDay}


@cache
def _limiter(uri):
    # A dead Redis must answer at once, not hold the person's request: the timeouts match the cache's.
    options = {"socket_connect_timeout": 2, "socket_timeout": 2} if uri.startswith(("redis", "rediss")) else {}
    return FixedWindowRateLimiter(storage_from_string(uri, wrap_exceptions=True, **options))


def limiter_reset():
    """Forget every count (tests; an organiser lifting a block by hand uses the admin's switches instead)."""
    _limiter(settings.RATELIMIT_STORAGE_URI).storage.reset()


@cache
def _items(rates):
    """("10/m", "60/h") -> limits' rate items. settings.py checked the format at startup."""
    items = []
    for rate in rates:
        count, period = rate.split("/")
        multiples = int(period[:-1] or 1)
        items.append(_PER[period[-1]](int(count), multiples))
    return tuple(items)


def _rates(switches):
    # The caller may pass the switches it already read for this request: one Redis read fewer.
    if switches is None:
        switches = Switches.current()
    return settings.SIGN_RATES_UNDER_ATTACK if switches.under_attack else settings.SIGN_RATES


def _hit(*, kind, value, rates):
    """Count one submission against every rate; True when one of them is exceeded."""
    if not settings.RATELIMIT_ENABLE:
        return False
    limiter = _limiter(settings.RATELIMIT_STORAGE_URI)
    # Redis keys carry a digest, not the address or domain itself.
    key = hashlib.blake2b(value.encode(), digest_size=12).hexdigest()
    try:
        # Every rate is counted, even after one is exceeded, so a sustained flood stays limited.
        allowed = [limiter.hit(item, "sign", kind, key) for item in _items(tuple(rates))]
    except StorageError:
        # With the counters unreachable, let people sign rather than refuse everyone; /healthz shows the outage.
        logger.warning("Rate-limit storage unavailable; %s limit not applied", kind, exc_info=True)
        return False
    return not all(allowed)


def client_network(request):
    """The client's address as the limit sees it: IPv6 clients get a /64 each, as ISPs hand out."""
    raw = request.META.get(settings.RATELIMIT_IP_META_KEY, "")
    first = raw.split(",")[0].strip()
    try:
        address = ipaddress.ip_address(first)
    except ValueError:
        # Not an address (a misconfigured proxy header): still one bucket per value, and one for none at all.
        return first[:100] or "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def sign_ip_limited(request, *, switches=None):
    return _hit(kind="ip", value=client_network(request), rates=_rates(switches)["ip"])


def sign_domain_limited(request, *, email, switches=None):
    domain = email.rsplit("@", 1)[-1].lower()
    if domain in COMMON_DOMAINS:
        # Millions share these: a flood from one of them is the IP limit's to catch, not a reason to turn
        # every real Gmail signer away.
        return False
    # Catch-all domains hand out subdomains: they share the limit of the domain one registers (bbc.co.uk, not
    # co.uk: a suffix under which anyone registers is not one sender).
    domain = _SUFFIXES.privatesuffix(domain) or domain
    return _hit(kind="domain", value=domain, rates=_rates(switches)["domain"])
