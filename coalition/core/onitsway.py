"""A key in the shared cache that says "a task for this is on its way": callers in between publish none, and the task
clears it as it starts. Should the task be lost, the key lapses and the next caller publishes a new one. The key may
hold the id of the message on its way (a `token`), so that only that message clears it or hands it on."""

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)


class OnItsWay:
    def __init__(self, key, seconds):
        self.key, self.seconds = key, seconds

    def claim(self, token=1):
        """True when the caller is the one to publish the task (the one named `token`). With the cache down,
        everyone is: more tasks than needed, none missing."""
        try:
            if cache.add(self.key, token, self.seconds):
                return True
            # add() also answers False when the cache is down (the cache ignores its errors, settings.REDIS_CACHE):
            # then the key cannot be read either.
            return cache.get(self.key) is None
        except Exception:
            logger.warning("Cache unavailable: a task is sent without checking for one on its way (%s)", self.key)
            return True

    def forget(self, token=None):
        """Clear the key; with a `token`, only when it is the one on its way (another task's is left alone)."""
        try:
            if token is None or cache.get(self.key) == token:
                cache.delete(self.key)
        except Exception:
            logger.warning(
                "Cache unavailable: %s not cleared; every caller sends its own task until it is back", self.key
            )

    def hand_on(self, token, successor):
        """The message `token` makes way for `successor`: the key, when it is `token`'s, names `successor` now."""
        try:
            if cache.get(self.key) == token:
                cache.set(self.key, successor, self.seconds)
        except Exception:
            logger.warning("Cache unavailable: %s not handed on", self.key)
