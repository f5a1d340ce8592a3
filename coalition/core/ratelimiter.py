"""The `limits` library's fixed-window limiter on a storage URI, one per process (the sign form's rates, the pace of
bulk mail)."""

from functools import cache

from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter


@cache
def fixed_window_limiter(uri):
    # A dead Redis must answer at once, not hold the person's request: the timeouts match the cache's.
    options = {"socket_connect_timeout": 2, "socket_timeout": 2} if uri.startswith("redis") else {}
    return FixedWindowRateLimiter(storage_from_string(uri, wrap_exceptions=True, **options))
