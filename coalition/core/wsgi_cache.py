"""A WSGI fast path for the busiest read of the site, GET /api/v1/stats/.

Django answers the stats API in about 0.5 ms, nearly all of it in the middleware stack, URL resolution and
django-ninja around a view that reads one cache entry. This wrapper replays the answer Django itself produced for
the same request inputs, without entering Django, for as long as the counts that answer shows are the current ones:

- A miss goes to Django unchanged. A plain 200 (no Set-Cookie, not streamed) is then stored in Redis next to the
  counts: its headers, its body, its ETag and the counts the body shows, for as long as the counts are cached.
- A request reads the current counts and the stored answer in one MGET. The answer is replayed only if the counts
  are cached and equal the ones it shows. A confirmation or a moderation move deletes the cached counts, so the next
  read goes to Django and is fresh, exactly as without the fast path.
- The stored answer is keyed by every request input that can change Django's answer to this address (method, Host,
  scheme, the proxy headers, Accept-Language, the language cookie). Requests whose answer depends on more than that
  go to Django: a Host it refuses, an If-Match or If-Unmodified-Since, a session or CSRF cookie it would repair.

Each worker also remembers an answer it read for STATS_FAST_PATH_MEMO_SECONDS (a quarter of a second by default;
0 turns it off): under load that spares nearly every Redis round trip, which is most of what a replay costs (stats
went from about 3,200 to 4,100-4,400 req/s in `make bench`). The price is that a figure changed through another worker
can be served up to that long after the change, inside the five seconds of `Cache-Control: max-age` the answer
gives every browser and proxy anyway. A change made through this worker (counts_cache_clear) forgets at once.

Off when the default cache is not django-redis (REDIS_URL unset: the local-memory cache is per process, and the
fast path would only add work). Anything unexpected — Redis down, an entry of another shape — goes to Django.
"""

import hashlib
import json
import logging
import time
from importlib import import_module

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse
from django.middleware.csrf import InvalidTokenFormat, _check_token_format
from django.utils.http import parse_etags
from django_redis.cache import RedisCache
from django_redis.client import DefaultClient

from coalition.signatures.selectors import COUNTS_CACHE_SECONDS, counts_cache_key

logger = logging.getLogger(__name__)

# Answered here when the path is exactly one of these and there is no query string. Each must be a read of the
# current letter's counts whose answer depends only on them and on KEY_INPUTS (the badge and the embedded counter
# could join: they are the same kind of read).
FAST_PATHS = frozenset({"/api/v1/stats/"})

# What can change Django's answer to a fast path, besides the counts and the language cookie: the method (HEAD and
# GET are answered and stored apart), the Host and port (ALLOWED_HOSTS, absolute links), the scheme and
# X-Forwarded-Proto (SSL redirect, HSTS), Accept-Language (Content-Language).
KEY_INPUTS = (
    "REQUEST_METHOD",
    "PATH_INFO",
    "SCRIPT_NAME",
    "wsgi.url_scheme",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_ACCEPT_LANGUAGE",
)

# The stored entry's shape; a new shape gets a new name, so a deploy never reads the previous one's entries.
ENTRY_VERSION = "response-v1"

# Answers this worker read lately: {entry key: (time.monotonic() deadline, entry)}. Bounded: a flood of distinct
# Accept-Language headers only empties it.
_MEMO = {}
_MEMO_MAX = 256


def forget_replays():
    """Forget the answers this process remembers (the counts changed here: the next read must show it)."""
    _MEMO.clear()


# A 304 carries the stored headers but not those describing the body it does not have.
BODY_HEADERS = frozenset({"content-type", "content-length"})


class StatsFastPath:
    """WSGI middleware: `application = StatsFastPath(get_wsgi_application())`."""

    def __init__(self, app):
        self.app = app
        # Redis errors are logged once per outage, not once per request.
        self._failing = False

    def __call__(self, environ, start_response):
        if (
            environ.get("PATH_INFO") not in FAST_PATHS
            or environ.get("REQUEST_METHOD") not in ("GET", "HEAD")
            or environ.get("QUERY_STRING")
        ):
            return self.app(environ, start_response)
        cache = caches["default"]
        # Other django-redis clients (sharded, herd) keep values in other shapes or places.
        if not isinstance(cache, RedisCache) or type(cache.client) is not DefaultClient:
            return self.app(environ, start_response)
        try:
            entry_key = _entry_key(environ)
        except Exception:
            logger.warning("Stats fast path: could not read the request; Django answers it", exc_info=True)
            return self.app(environ, start_response)
        if entry_key is None:
            return self.app(environ, start_response)
        memo_seconds = settings.STATS_FAST_PATH_MEMO_SECONDS
        remembered = _MEMO.get(entry_key) if memo_seconds else None
        if remembered is not None and remembered[0] > time.monotonic():
            return _replay(remembered[1], environ, start_response)
        entry = self._current_entry(cache, entry_key)
        if entry is not None:
            if memo_seconds:
                if len(_MEMO) >= _MEMO_MAX:
                    _MEMO.clear()
                _MEMO[entry_key] = (time.monotonic() + memo_seconds, entry)
            return _replay(entry, environ, start_response)
        return self._answer_and_store(cache, entry_key, environ, start_response)

    def _current_entry(self, cache, entry_key):
        """The stored answer if it shows the counts cached now, else None. One round trip to Redis."""
        client = cache.client
        counts_key = counts_cache_key(settings.COALITION_LETTER_SLUG)
        try:
            raw_counts, raw_entry = client.get_client(write=False).mget(
                [client.make_key(counts_key), client.make_key(entry_key)]
            )
            if raw_counts is None or raw_entry is None:
                entry = None
            else:
                entry = _Entry.from_stored(client.decode(raw_entry))
                if entry is not None and entry.counts != client.decode(raw_counts):
                    entry = None
        except Exception:
            log = logger.debug if self._failing else logger.warning
            log("Stats fast path: could not read the counts or the stored answer; Django answers", exc_info=True)
            self._failing = True
            return None
        if self._failing:
            logger.info("Stats fast path: reading from Redis again")
            self._failing = False
        return entry

    def _answer_and_store(self, cache, entry_key, environ, start_response):
        """Django's answer, unchanged; stored for the next requests when it is a plain 200."""
        answered = {}

        def start_and_record(status, headers, *exc_info):
            answered["status"], answered["headers"] = status, headers
            return start_response(status, headers, *exc_info)

        response = self.app(environ, start_and_record)
        try:
            entry = _Entry.from_django(answered.get("status"), answered.get("headers"), response)
            if entry is not None:
                cache.set(entry_key, entry.to_stored(), COUNTS_CACHE_SECONDS)
        except Exception:
            logger.warning("Stats fast path: could not store Django's answer", exc_info=True)
        return response


class _Entry:
    __slots__ = ("counts", "headers", "body", "etag")

    def __init__(self, counts, headers, body, etag):
        self.counts, self.headers, self.body, self.etag = counts, headers, body, etag

    @classmethod
    def from_django(cls, status, headers, response):
        """The entry for Django's answer, or None when it must not be replayed."""
        # A streamed answer is not Django's HttpResponse (and is not read here); cookies belong to one client.
        if not (isinstance(response, HttpResponse) and status and status.startswith("200 ")):
            return None
        if any(name.lower() == "set-cookie" for name, _ in headers):
            return None
        body = response.content
        # The counts the body shows, read back from the body itself: the entry is consistent by construction,
        # whatever happened to the cached counts while Django rendered it. Django's HEAD answer has the body too
        # (the server drops it).
        counts = json.loads(body)
        if not isinstance(counts, dict):
            return None
        headers = [(str(name), str(value)) for name, value in headers]
        etag = next((value for name, value in headers if name.lower() == "etag"), None)
        return cls(counts, headers, body, etag)

    def to_stored(self):
        return (ENTRY_VERSION, self.counts, self.headers, self.body, self.etag)

    @classmethod
    def from_stored(cls, value):
        """The entry from what Redis held, or None for anything of another shape."""
        if not (isinstance(value, tuple) and len(value) == 5 and value[0] == ENTRY_VERSION):
            return None
        _, counts, headers, body, etag = value
        if not (
            isinstance(counts, dict)
            and isinstance(body, bytes)
            and (etag is None or isinstance(etag, str))
            and isinstance(headers, list)
            and all(
                isinstance(header, tuple) and len(header) == 2 and all(isinstance(part, str) for part in header)
                for header in headers
            )
        ):
            return None
        return cls(counts, headers, body, etag)


def _entry_key(environ):
    """The cache key of the stored answer for this request, or None when Django must answer it."""
    # Django answers these 412 when they fail; the replay does not evaluate them.
    if "HTTP_IF_MATCH" in environ or "HTTP_IF_UNMODIFIED_SINCE" in environ:
        return None
    # Django's own reading of the Host and the cookies (on a copy: WSGIRequest rewrites PATH_INFO and SCRIPT_NAME).
    request = WSGIRequest(environ.copy())
    try:
        request.get_host()
    except DisallowedHost:
        return None  # Django answers 400, whatever was stored for this Host before ALLOWED_HOSTS changed
    cookies = request.COOKIES
    if cookies and _django_sets_cookies(cookies):
        return None
    inputs = [environ.get(name, "") for name in KEY_INPUTS]
    inputs.append(cookies.get(settings.LANGUAGE_COOKIE_NAME, ""))
    digest = hashlib.blake2b(repr(inputs).encode(), digest_size=16).hexdigest()
    return f"{counts_cache_key(settings.COALITION_LETTER_SLUG)}:{ENTRY_VERSION}:{digest}"


def _django_sets_cookies(cookies):
    """Whether Django would answer this request with a Set-Cookie that a replay would not carry: the session
    middleware deletes a session cookie whose key is malformed (and saves every session with
    SESSION_SAVE_EVERY_REQUEST), the CSRF middleware replaces a malformed CSRF cookie. Well-formed cookies, which
    every browser that saw a form has, change nothing in the answer."""
    session_key = cookies.get(settings.SESSION_COOKIE_NAME)
    if session_key is not None:
        if settings.SESSION_SAVE_EVERY_REQUEST:
            return True
        # The store keeps only a key it accepts; the session middleware deletes the cookie of a key it refuses.
        if import_module(settings.SESSION_ENGINE).SessionStore(session_key).session_key is None:
            return True
    csrf_token = cookies.get(settings.CSRF_COOKIE_NAME)
    if csrf_token is not None:
        try:
            _check_token_format(csrf_token)
        except InvalidTokenFormat:
            return True
    return False


def _replay(entry, environ, start_response):
    if entry.etag and _if_none_match_fails(entry.etag, environ.get("HTTP_IF_NONE_MATCH")):
        # Django's own 304 keeps fewer of the headers (those RFC 9110 lists, then what the middleware outside
        # ConditionalGetMiddleware adds) and a Content-Length of 0; this one keeps all but those describing the body.
        # Their values are the 200's, so a cache refreshing its stored headers from either ends up the same.
        start_response("304 Not Modified", [h for h in entry.headers if h[0].lower() not in BODY_HEADERS])
        return []
    start_response("200 OK", list(entry.headers))
    return [] if environ["REQUEST_METHOD"] == "HEAD" else [entry.body]


def _if_none_match_fails(etag, header):
    """The weak comparison of RFC 9110 13.1.2, as Django's ConditionalGetMiddleware makes it."""
    if not header:
        return False
    etags = parse_etags(header)
    if etags == ["*"]:
        return True
    target = etag.strip("W/")
    return any(candidate.strip("W/") == target for candidate in etags)
