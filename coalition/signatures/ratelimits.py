"""Rate limits on the sign and endorsement forms: a burst and a sustained rate, per client IP and per email domain.

Counted by the `limits` library's fixed-window strategy, in the shared Redis (RATELIMIT_STORAGE_URI), so every worker
sees the same counts.
"""

import hashlib
import ipaddress
import logging
import math
import time
from functools import cache, lru_cache

from django.conf import settings
from limits import RateLimitItemPerDay, RateLimitItemPerHour, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from coalition.core.models import Switches

from .services import COMMON_DOMAINS, PUBLIC_SUFFIXES

logger = logging.getLogger(__name__)

_PER = {"s": RateLimitItemPerSecond, "m": RateLimitItemPerMinute, "h": RateLimitItemPerHour, "d": RateLimitItemPerDay}


@cache
def _limiter(uri):
    # A dead Redis must answer at once, not hold the person's request: the timeouts match the cache's.
    options = {"socket_connect_timeout": 2, "socket_timeout": 2} if uri.startswith("redis") else {}
    return FixedWindowRateLimiter(storage_from_string(uri, wrap_exceptions=True, **options))


# After the store fails, this process stops asking it for a while: a Redis that accepts connections but does not
# answer would otherwise cost every sign POST its timeout.
STORAGE_PAUSE_SECONDS = 10
_storage_paused_until = 0.0


def limiter_reset():
    """Forget every count (tests; an organiser lifting a block by hand uses the admin's switches instead)."""
    global _storage_paused_until
    _storage_paused_until = 0.0
    _limiter(settings.RATELIMIT_STORAGE_URI).storage.reset()


@cache
def _digest_key(secret):
    return hashlib.sha256(b"coalition.ratelimits" + secret.encode()).digest()


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


def _counters(*, kind, value, rates):
    """(rate item, identifiers) for each rate that counts `value`. Redis keys carry a keyed digest, not the address
    or domain, and not one a dictionary could reverse."""
    key = hashlib.blake2b(value.encode(), key=_digest_key(settings.SECRET_KEY), digest_size=12).hexdigest()
    return [(item, ("sign", kind, key)) for item in _items(tuple(rates))]


def _counting_now():
    return settings.RATELIMIT_ENABLE and time.monotonic() >= _storage_paused_until


def _pause():
    """With the counters unreachable, let people sign rather than refuse everyone; /healthz shows the outage."""
    global _storage_paused_until
    _storage_paused_until = time.monotonic() + STORAGE_PAUSE_SECONDS
    logger.warning("Rate-limit storage unavailable; limits not applied for %s s", STORAGE_PAUSE_SECONDS, exc_info=True)


def _wait(first, then=()):
    """Count one submission against the `first` counters and, if none of them refuses it, the `then` counters too.
    None when every rate allows it; else the seconds until the exceeded windows have all ended.

    A client over its own limit does not use up the rest's: a single IP refused a thousand times does not exhaust
    the limit of the domain its addresses are on, which every other signer from that domain shares."""
    if not (first or then) or not _counting_now():
        return None
    limiter = _limiter(settings.RATELIMIT_STORAGE_URI)
    try:
        # Every rate of a kind is counted, even after one is exceeded, so a sustained flood stays limited.
        exceeded = [(item, ids) for item, ids in first if not limiter.hit(item, *ids)]
        if not exceeded:
            exceeded = [(item, ids) for item, ids in then if not limiter.hit(item, *ids)]
        if not exceeded:
            return None
        reset = max(limiter.get_window_stats(item, *ids).reset_time for item, ids in exceeded)
    except StorageError:
        _pause()
        return None
    return max(1, math.ceil(reset - time.time()))


@lru_cache(maxsize=4096)
def _address(text):
    """An address from a header value: "1.2.3.4", "1.2.3.4:5555", "[2001:db8::1]:443", "::ffff:1.2.3.4"."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def client_ip(request):
    """The client's address, or None. Behind a proxy, RATELIMIT_IP_META_KEY names the header it sets; in a list
    (X-Forwarded-For) the last entry is the one the proxy added, the others are whatever the client sent."""
    key = settings.RATELIMIT_IP_META_KEY
    raw = request.META.get(key) or ""
    address = _address(raw.split(",")[-1])
    if address is None and key != "REMOTE_ADDR":
        # A misconfigured proxy: better each connection's own address than one bucket for everyone.
        logger.warning("%s is missing or not an address (%r); using REMOTE_ADDR", key, raw[:100])
        address = _address(request.META.get("REMOTE_ADDR") or "")
    return address


def client_network(request):
    """The client as the limit counts it: an IPv4 address, or an IPv6 /64 (what one subscriber is handed)."""
    return _network(client_ip(request))


@lru_cache(maxsize=4096)
def _network(address):
    if address is None:
        return "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _domain_counters(email, switches):
    domain = email.rsplit("@", 1)[-1].lower()
    if domain in COMMON_DOMAINS:
        # Millions share these: a flood from one of them is the IP limit's to catch, not a reason to turn
        # every real Gmail signer away.
        return []
    # Catch-all domains hand out subdomains: they share the limit of the domain one registers (bbc.co.uk, not
    # co.uk: a suffix under which anyone registers is not one sender).
    domain = PUBLIC_SUFFIXES.privatesuffix(domain) or domain
    return _counters(kind="domain", value=domain, rates=_rates(switches)["domain"])


def sign_limited(request, *, email=None, switches=None):
    """Count a sign POST from this client's network and, when the form gave a valid address and the network is
    within its rates, from the address's domain. None when it may go on; else the seconds to wait (Retry-After)."""
    return _wait(_network_counters(request, switches), _domain_counters(email, switches) if email is not None else ())


def _network_counters(request, switches):
    return _counters(kind="ip", value=client_network(request), rates=_rates(switches)["ip"])
