"""Rate limits on the sign and endorsement forms, per client network and per email domain, each a burst and a
sustained rate at two levels: above SIGN_RATES a signature is accepted and held for an organiser ("busy network":
a meeting on one Wi-Fi, a carrier's shared address); above SIGN_FLOOD_RATES the submission is refused with a 429.

Counted by the `limits` library's fixed-window strategy, in the shared Redis (RATELIMIT_STORAGE_URI), so every worker
sees the same counts.
"""

import hashlib
import ipaddress
import logging
import math
import time
from dataclasses import dataclass
from functools import cache, lru_cache

from django.conf import settings
from limits import RateLimitItemPerDay, RateLimitItemPerHour, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.errors import StorageError

from coalition.core.models import Switches
from coalition.core.ratelimiter import fixed_window_limiter

from .models import Signature
from .services import COMMON_DOMAINS, PUBLIC_SUFFIXES

logger = logging.getLogger(__name__)

_PER = {"s": RateLimitItemPerSecond, "m": RateLimitItemPerMinute, "h": RateLimitItemPerHour, "d": RateLimitItemPerDay}


# After the store fails, this process stops asking it for a while: a Redis that accepts connections but does not
# answer would otherwise cost every sign POST its timeout.
STORAGE_PAUSE_SECONDS = 10
_storage_paused_until = 0.0


def limiter_reset():
    """Forget every count (tests; an organiser lifting a block by hand uses the admin's switches instead)."""
    global _storage_paused_until
    _storage_paused_until = 0.0
    fixed_window_limiter(settings.RATELIMIT_STORAGE_URI).storage.reset()


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
    """(review rates, flood rates) for this moment: the "under attack" switch tightens both."""
    # The caller may pass the switches it already read for this request: one Redis read fewer.
    if switches is None:
        switches = Switches.current()
    if switches.under_attack:
        return settings.SIGN_RATES_UNDER_ATTACK, settings.SIGN_FLOOD_RATES_UNDER_ATTACK
    return settings.SIGN_RATES, settings.SIGN_FLOOD_RATES


def _key(value):
    """A keyed digest for Redis keys, not the address or domain, and not one a dictionary could reverse."""
    return hashlib.blake2b(value.encode(), key=_digest_key(settings.SECRET_KEY), digest_size=12).hexdigest()


def _counting_now():
    return settings.RATELIMIT_ENABLE and time.monotonic() >= _storage_paused_until


def _pause():
    """With the counters unreachable, let people sign rather than refuse everyone; /healthz shows the outage."""
    global _storage_paused_until
    _storage_paused_until = time.monotonic() + STORAGE_PAUSE_SECONDS
    logger.warning("Rate-limit storage unavailable; limits not applied for %s s", STORAGE_PAUSE_SECONDS, exc_info=True)


def _count(limiter, *, kind, value, review, flood):
    """Count one submission from `value` against each of its rates: (flood counters exceeded, any review rate
    exceeded). Every rate is counted, even after one is exceeded, so a sustained flood stays limited."""
    key = _key(value)
    flood_counters = [(item, ("sign", kind, "flood", key)) for item in _items(tuple(flood))]
    flooded = [(item, ids) for item, ids in flood_counters if not limiter.hit(item, *ids)]
    busy = [item for item in _items(tuple(review)) if not limiter.hit(item, "sign", kind, key)]
    return flooded, bool(busy)


def _seconds_until_reset(limiter, counters):
    reset = max(limiter.get_window_stats(item, *ids).reset_time for item, ids in counters)
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


def _limited_domain(email):
    """The domain an address counts against, or None for the big shared providers."""
    domain = email.rsplit("@", 1)[-1].lower()
    if domain in COMMON_DOMAINS:
        # Millions share these: a flood from one of them is the IP limit's to catch, not a reason to turn
        # every real Gmail signer away.
        return None
    # Catch-all domains hand out subdomains: they share the limit of the domain one registers (bbc.co.uk, not
    # co.uk: a suffix under which anyone registers is not one sender).
    return PUBLIC_SUFFIXES.privatesuffix(domain) or domain


@dataclass(frozen=True)
class SignVerdict:
    """What the rates say about one submission: refused for `wait` seconds (Retry-After), or accepted, with a
    `review_reason` when it came from a busy network or domain."""

    wait: int | None = None
    review_reason: str = ""


ACCEPTED = SignVerdict()


def sign_verdict(request, *, email=None, switches=None):
    """Count a sign POST from this client's network and, when the form gave a valid address and the network is
    below flood level, from the address's domain: a client refused for its own flood does not use up the limit
    every other signer from its domain shares. With the counters unreachable, every submission is accepted."""
    if not _counting_now():
        return ACCEPTED
    limiter = fixed_window_limiter(settings.RATELIMIT_STORAGE_URI)
    review, flood = _rates(switches)
    reason = ""
    try:
        flooded, busy = _count(
            limiter, kind="ip", value=client_network(request), review=review["ip"], flood=flood["ip"]
        )
        if busy:
            reason = Signature.ReviewReason.BUSY_NETWORK
        domain = _limited_domain(email) if email is not None and not flooded else None
        if domain is not None:
            flooded, busy = _count(limiter, kind="domain", value=domain, review=review["domain"], flood=flood["domain"])
            if busy and not reason:
                reason = Signature.ReviewReason.BUSY_DOMAIN
        if flooded:
            return SignVerdict(wait=_seconds_until_reset(limiter, flooded))
    except StorageError:
        _pause()
        return ACCEPTED
    return SignVerdict(review_reason=reason)
