"""The pace of bulk mail (coalition updates): at most MAIL_BULK_RATE mails a second in all, however many workers send
them, counted by the `limits` library in the shared store (RATELIMIT_STORAGE_URI)."""

import logging
import math
import time

from django.conf import settings
from limits import RateLimitItemPerSecond
from limits.errors import StorageError

from coalition.core.ratelimiter import fixed_window_limiter

logger = logging.getLogger(__name__)


def bulk_window():
    """The rate as a window that holds at least one batch: 20 a second with batches of 50 is 60 mails every 3 s."""
    rate, batch = settings.MAIL_BULK_RATE, settings.MAIL_BATCH_SIZE
    seconds = max(1, math.ceil(batch / rate))
    return RateLimitItemPerSecond(max(1, round(rate * seconds)), seconds)


def bulk_allowance(size):
    """(how many bulk mails may go now, at most `size`; seconds until more may when none can). With the store
    unreachable the batch goes: the broker is that same Redis, so a worker running at all means it is back."""
    limiter, window = fixed_window_limiter(settings.RATELIMIT_STORAGE_URI), bulk_window()
    try:
        stats = limiter.get_window_stats(window, "mail", "bulk")
        allowed = min(size, stats.remaining)
        if allowed and limiter.hit(window, "mail", "bulk", cost=allowed):
            return allowed, 0
        stats = limiter.get_window_stats(window, "mail", "bulk")
    except StorageError:
        logger.warning("Bulk mail pace not counted: the store is unavailable", exc_info=True)
        return size, 0
    # At least a second: the store counts a window's end in whole seconds, and a shorter wait came back to a window
    # not over yet, again and again.
    return 0, max(1.0, stats.reset_time - time.time())


def bulk_pace_reset():
    """Forget what has been counted (tests)."""
    fixed_window_limiter(settings.RATELIMIT_STORAGE_URI).storage.reset()
