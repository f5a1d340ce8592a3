"""A per-process copy, for a quarter of a second, of the few cache entries that every request reads: the letter with
its current versions, and the site switches.

Reading them from Redis would cost a round trip and an unpickling on every request. A change made in this process
forgets the copy at once (`memos_forget`, called wherever the cache entry is forgotten, as forget_now_and_at_commit
does); another process sees it at most MEMO_SECONDS later.
"""

import threading

from cachetools import TTLCache, cached
from django.core.cache import cache
from django.db import transaction

MEMO_SECONDS = 0.25

_memos = []


def memo(*, maxsize=4):
    """Decorate a function whose answer depends only on its (hashable) arguments and on the shared cache."""

    def decorate(function):
        memoised = cached(TTLCache(maxsize=maxsize, ttl=MEMO_SECONDS), lock=threading.Lock())(function)
        _memos.append(memoised)
        return memoised

    return decorate


def memos_forget():
    for memoised in _memos:
        memoised.cache_clear()


def forget_now_and_at_commit(*keys):
    """Delete these cache entries and this process's memos now, and again once the current transaction commits: a
    request served in between would otherwise store the rows as they were before the commit."""

    def forget():
        cache.delete_many(keys)
        memos_forget()

    forget()
    transaction.on_commit(forget, robust=True)
