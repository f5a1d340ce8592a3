"""Rate limits on the sign and endorsement forms: a burst and a sustained rate, per client IP and per email domain.

Counted by the `limits` library in fixed windows, in the shared Redis (RATELIMIT_STORAGE_URI). A sign POST counts
four rates, with the library's own script, in one pipelined round trip (django-ratelimit, used before, took two round
trips and far more CPU for each rate).
"""

import hashlib
import ipaddress
import logging
import time
from functools import cache, lru_cache

from django.conf import settings
from limits import RateLimitItemPerDay, RateLimitItemPerHour, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import RedisStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

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


def _key(storage, item, identifiers):
    return storage.prefixed_key(item.key_for(*identifiers))


def _incr_in_one_round_trip(storage, counters):
    """What limits' FixedWindowRateLimiter.hit does for each counter — its own script, keys and expiries — sent to
    Redis in one pipeline instead of one round trip each. None when Redis has forgotten the script (a restart)."""
    pipe = storage.get_connection().pipeline(transaction=False)
    for item, identifiers in counters:
        pipe.evalsha(*_incr_args(storage, item, identifiers))
    try:
        counts = pipe.execute()
    except NoScriptError:
        return None
    return _allowed(counts, counters)


def _incr_args(storage, item, identifiers):
    """EVALSHA's arguments for one count: the library's own script, key and expiry."""
    return storage.lua_incr_expire.sha, 1, _key(storage, item, identifiers), item.get_expiry(), 1


def _allowed(counts, counters):
    return [int(count) <= item.amount for count, (item, _) in zip(counts, counters, strict=True)]


# Take one count back, unless its window has ended meanwhile: a DECRBY then would make a key at -1 that never
# expires (the library's script sets the expiry only on a window's first count).
_DECREMENT_IF_THERE = "if redis.call('exists', KEYS[1]) == 1 then return redis.call('decrby', KEYS[1], 1) end return 0"


def _uncount(storage, counters):
    client = storage.get_connection()
    script = client.register_script(_DECREMENT_IF_THERE)
    pipe = client.pipeline(transaction=False)
    for item, identifiers in counters:
        script(keys=[_key(storage, item, identifiers)], client=pipe)
    pipe.execute()


def _counting_now():
    return settings.RATELIMIT_ENABLE and time.monotonic() >= _storage_paused_until


def _pause():
    """With the counters unreachable, let people sign rather than refuse everyone; /healthz shows the outage."""
    global _storage_paused_until
    _storage_paused_until = time.monotonic() + STORAGE_PAUSE_SECONDS
    logger.warning("Rate-limit storage unavailable; limits not applied for %s s", STORAGE_PAUSE_SECONDS, exc_info=True)


def _hit(first, then=()):
    """Count one submission against the `first` counters and, unless one of those refuses it, the `then` counters
    too; True when one of them is exceeded.

    A client over its own limit does not use up the rest's: a single IP refused a thousand times does not exhaust
    the limit of the domain its addresses are on, which every other signer from that domain shares."""
    if not (first or then) or not _counting_now():
        return False
    limiter = _limiter(settings.RATELIMIT_STORAGE_URI)
    storage = limiter.storage
    try:
        # Every rate of a kind is counted, even after one is exceeded, so a sustained flood stays limited.
        allowed = None
        if isinstance(storage, RedisStorage):
            # The common case, one round trip; a refused client's domain count is taken back in a second.
            allowed = _incr_in_one_round_trip(storage, [*first, *then])
            if allowed is not None and then and not all(allowed[: len(first)]):
                _uncount(storage, then)
        if allowed is None:
            allowed = [limiter.hit(item, *identifiers) for item, identifiers in first]
            if all(allowed):
                allowed += [limiter.hit(item, *identifiers) for item, identifiers in then]
    except (StorageError, RedisError):
        _pause()
        return False
    return not all(allowed)


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
    """Count a sign POST from this client's network and, when the form gave a valid address, from its domain: one
    Redis round trip for all four rates. True when one of them is exceeded."""
    return _hit(_network_counters(request, switches), _domain_counters(email, switches) if email is not None else ())


def _network_counters(request, switches):
    return _counters(kind="ip", value=client_network(request), rates=_rates(switches)["ip"])


class SignCounting:
    """sign_limited, with its round trip to Redis overlapping the form's validation: the four counts are sent
    before the form is validated (the domain read from the address as typed), and their answers read after it, by
    which time they have arrived. On two busy cores, a worker that waits for Redis also waits for a core to run on
    again: that wait, not Redis, was a tenth of a sign POST.

    The outcome is sign_limited's: when the address turns out invalid, or normalises to another domain, the
    domain's counts are taken back (and the right domain counted), at the cost of a round trip or two more; a client
    refused for its network has them taken back too. Use it as a context manager: a connection whose answers were
    never read is closed before it goes back to the pool."""

    def __init__(self, request, *, typed_email=None, switches=None):
        self.switches = switches
        self.network = _network_counters(request, switches)
        guess = _guess(typed_email)
        self.guessed = _domain_counters(guess, switches) if guess else []
        self.connection = None
        self.storage = _limiter(settings.RATELIMIT_STORAGE_URI).storage
        # One Redis server (a cluster or a sentinel setup has no single pool to take a connection from).
        if not _counting_now() or type(self.storage) is not RedisStorage:
            return
        commands = [("EVALSHA", *_incr_args(self.storage, item, ids)) for item, ids in [*self.network, *self.guessed]]
        try:
            self.pool = self.storage.get_connection().connection_pool
            self.connection = self.pool.get_connection()
            packed = self.connection.pack_commands(commands)
            try:
                self.connection.send_packed_command(packed)
            except (RedisConnectionError, RedisTimeoutError):
                # A pooled connection Redis has closed (a restart): once more on a new one, as redis-py retries.
                self.connection.disconnect()
                self.connection.send_packed_command(packed)
        except RedisError:
            self._drop()
            _pause()
        except BaseException:
            self._drop()  # never left checked out of the pool
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._drop()

    def _drop(self):
        if self.connection is not None:
            self.connection.disconnect()  # its answers may be unread
            self.pool.release(self.connection)
            self.connection = None

    def limited(self, email):
        """True when one of the rates is exceeded; `email` is the validated address, or None."""
        final = _domain_counters(email, self.switches) if email is not None else []
        if self.connection is None:
            return _hit(self.network, final)  # not sent: off, paused, another store, or it failed
        replies = []
        try:
            for _ in range(len(self.network) + len(self.guessed)):
                try:
                    replies.append(self.connection.read_response())
                except NoScriptError as exc:
                    replies.append(exc)  # read the rest all the same: the connection stays in step
        except RedisError:
            self._drop()
            _pause()
            return False
        self.pool.release(self.connection)
        self.connection = None
        if any(isinstance(reply, NoScriptError) for reply in replies):
            return _hit(self.network, final)  # nothing was counted; the library loads its script again
        allowed = _allowed(replies, [*self.network, *self.guessed])
        if all(allowed[: len(self.network)]) and self.guessed == final:
            return not all(allowed)
        try:
            if self.guessed:
                _uncount(self.storage, self.guessed)
        except RedisError:
            _pause()
        if not all(allowed[: len(self.network)]):
            return True
        return _hit((), final)


def _guess(typed_email):
    """The address as email_normalise will most likely leave it, when its domain is one it would not rewrite (ASCII);
    else None, and the domain is counted once the address is validated."""
    if not typed_email or len(typed_email) > 254:
        return None
    guess = typed_email.strip().lower()
    domain = guess.rpartition("@")[2]
    return guess if "@" in guess and "." in domain and domain.isascii() else None
