"""The stats fast path (coalition/core/wsgi_cache.py), driven through the WSGI callable gunicorn serves."""

import json
import os
from dataclasses import dataclass
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.cache import caches
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django_redis import get_redis_connection

from coalition.core import wsgi_cache
from coalition.signatures import moderation
from coalition.signatures.models import Signature
from coalition.signatures.selectors import counts_cache_key
from coalition.wsgi import application
from tests.conftest import confirm_path, service_missing

STATS = "/api/v1/stats/"


@pytest.fixture(autouse=True)
def _redis_cache(db, settings):
    if not os.environ.get("REDIS_URL"):
        service_missing("REDIS_URL is not set: the stats fast path needs the Redis cache")
    # Each read checks Redis, as if every request reached another worker; the memo has tests of its own.
    settings.STATS_FAST_PATH_MEMO_SECONDS = 0


@pytest.fixture
def django_entered():
    """How many requests went through Django: the fast path answers without it."""
    entered = []

    def receiver(**kwargs):
        entered.append(1)

    request_started.connect(receiver)
    yield entered
    request_started.disconnect(receiver)


@dataclass
class Answer:
    status: int
    headers: list
    body: bytes

    def header(self, name):
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


def wsgi(path=STATS, *, method="GET", query="", **environ):
    """One request through coalition.wsgi.application, as a WSGI server makes it."""
    request = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "HTTP_HOST": "testserver"}
    request.update(environ)
    setup_testing_defaults(request)
    started = {}

    def start_response(status, headers, exc_info=None):
        started["status"], started["headers"] = status, headers

    # Django closes the connection around each request it handles; inside the test's transaction that would end the
    # test. Django's test client detaches the same receiver for each request it makes.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = application(request, start_response)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return Answer(int(started["status"].split()[0]), started["headers"], body)


def total(answer):
    return json.loads(answer.body)["total"]


def test_a_second_read_replays_djangos_answer_without_entering_django(
    signature_factory, django_entered, django_assert_num_queries
):
    signature_factory()
    first = wsgi()
    assert (first.status, total(first), len(django_entered)) == (200, 1, 1)
    with django_assert_num_queries(0):
        second = wsgi()
    assert len(django_entered) == 1, "the second read never entered Django"
    assert (second.status, second.body, second.headers) == (first.status, first.body, first.headers)
    assert first.header("ETag") and first.header("Content-Security-Policy") and first.header("Content-Language")


def test_a_confirmation_shows_in_the_very_next_read(sign, client, mailoutbox, django_entered):
    sign(craft="musician")
    django_entered.clear()  # the sign form's POST
    assert total(wsgi()) == 0
    assert total(wsgi()) == 0 and len(django_entered) == 1, "replayed"
    client.post(confirm_path(mailoutbox[0]))
    answer = wsgi()
    assert (total(answer), answer.status) == (1, 200)


def test_a_stored_answer_is_not_replayed_once_other_pages_cached_newer_counts(
    signature_factory, django_user_model, client, django_entered
):
    organiser = django_user_model.objects.create_superuser("organiser", "organiser@example.org", "a-passphrase-1")
    signature = signature_factory()
    assert total(wsgi()) == 1
    moderation.signature_move(signature=signature, to=Signature.Status.FRAUDULENT, actor=organiser)
    assert client.get("/badge.svg").status_code == 200  # caches the new counts before the API is read again
    assert total(wsgi()) == 0


@pytest.mark.parametrize("to", [Signature.Status.FRAUDULENT, Signature.Status.WITHDRAWN])
def test_a_moderation_move_shows_in_the_very_next_read(signature_factory, django_user_model, django_entered, to):
    organiser = django_user_model.objects.create_superuser("organiser", "organiser@example.org", "a-passphrase-1")
    signature = signature_factory()
    assert total(wsgi()) == 1
    assert total(wsgi()) == 1 and len(django_entered) == 1, "replayed"
    moderation.signature_move(signature=signature, to=to, actor=organiser)
    assert total(wsgi()) == 0


def test_the_etag_gets_a_304_from_the_fast_path_and_a_stale_one_the_new_figure(signature_factory, django_entered):
    signature_factory()
    first = wsgi()
    etag = first.header("ETag")
    for if_none_match in (etag, f"W/{etag}", f'"stale", {etag}', "*"):
        answer = wsgi(HTTP_IF_NONE_MATCH=if_none_match)
        assert (answer.status, answer.body) == (304, b""), if_none_match
        assert answer.header("Content-Type") is None and answer.header("Content-Length") is None
        for name in ("ETag", "Cache-Control", "Vary", "Content-Language", "X-Content-Type-Options"):
            assert answer.header(name) == first.header(name)
    assert len(django_entered) == 1
    assert wsgi(HTTP_IF_NONE_MATCH='"something-else"').body == first.body
    signature_factory()
    fresh = wsgi(HTTP_IF_NONE_MATCH=etag)
    assert (fresh.status, total(fresh)) == (200, 2)
    assert fresh.header("ETag") != etag


def test_head_replays_djangos_head_answer_without_a_body(signature_factory, django_entered):
    signature_factory()
    get = wsgi()
    head = wsgi(method="HEAD")
    assert len(django_entered) == 2, "a HEAD is stored apart from a GET"
    replayed = wsgi(method="HEAD")
    assert len(django_entered) == 2
    assert (replayed.status, replayed.body, replayed.headers) == (200, b"", head.headers)
    assert replayed.header("Content-Length") == str(len(get.body))
    assert replayed.header("ETag") == get.header("ETag")
    assert wsgi(method="HEAD", HTTP_IF_NONE_MATCH=get.header("ETag")).status == 304
    assert len(django_entered) == 2


@pytest.mark.parametrize(
    ("path", "method", "query"),
    [(STATS, "GET", "x=1"), (STATS, "POST", ""), ("/api/v1/stats", "GET", ""), ("/api/v1/organisations/", "GET", "")],
)
def test_other_requests_go_to_django(signature_factory, django_entered, path, method, query):
    signature_factory()
    wsgi()
    wsgi()
    assert len(django_entered) == 1
    wsgi(path, method=method, query=query)
    wsgi(path, method=method, query=query)
    assert len(django_entered) == 3


def test_each_language_gets_its_own_answer(signature_factory, django_entered):
    signature_factory()
    assert wsgi().header("Content-Language") == "en"
    assert wsgi(HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").header("Content-Language") == "fr"
    assert wsgi(HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").header("Content-Language") == "fr"
    assert wsgi(HTTP_COOKIE="django_language=fr").header("Content-Language") == "fr"
    assert wsgi().header("Content-Language") == "en"
    assert len(django_entered) == 3


def test_a_host_django_refuses_is_never_answered_from_what_was_stored(signature_factory, settings, django_entered):
    signature_factory()
    assert wsgi(HTTP_HOST="site.example").status == 400
    settings.ALLOWED_HOSTS = ["site.example"]
    assert wsgi(HTTP_HOST="site.example").status == 200
    assert wsgi(HTTP_HOST="site.example").status == 200
    assert len(django_entered) == 2
    settings.ALLOWED_HOSTS = ["other.example"]
    assert wsgi(HTTP_HOST="site.example").status == 400
    assert len(django_entered) == 3


def test_preconditions_the_replay_does_not_evaluate_go_to_django(signature_factory, django_entered):
    signature_factory()
    etag = wsgi().header("ETag")
    assert wsgi(HTTP_IF_MATCH='"other"').status == 412
    assert wsgi(HTTP_IF_MATCH=etag).status == 200
    assert wsgi(HTTP_IF_UNMODIFIED_SINCE="Wed, 21 Oct 2015 07:28:00 GMT").status == 412
    assert len(django_entered) == 4


def test_cookies_django_would_repair_go_to_django_and_what_it_sets_is_never_replayed(signature_factory, django_entered):
    signature_factory()
    repaired = wsgi(HTTP_COOKIE="sessionid=x; csrftoken=not-a-token")
    assert repaired.status == 200 and repaired.header("Set-Cookie")
    clean = wsgi()
    assert clean.header("Set-Cookie") is None and len(django_entered) == 2, "the answer with cookies was not stored"
    repaired = wsgi(HTTP_COOKIE="sessionid=x")
    assert repaired.header("Set-Cookie") and len(django_entered) == 3
    well_formed = "sessionid=abcdefghijklmnopqrstuvwxyz012345; csrftoken=" + "a" * 32
    assert wsgi(HTTP_COOKIE=well_formed).headers == clean.headers
    assert len(django_entered) == 3, "a visitor who saw a form is answered from the fast path"


def test_an_answer_that_sets_a_cookie_is_never_stored(signature_factory, monkeypatch, django_entered):
    from coalition.signatures import api

    patch_cache_control = api.patch_cache_control

    def and_set_a_cookie(response, **kwargs):
        patch_cache_control(response, **kwargs)
        response.set_cookie("seen", "1")

    monkeypatch.setattr(api, "patch_cache_control", and_set_a_cookie)
    signature_factory()
    assert wsgi().header("Set-Cookie") and wsgi().header("Set-Cookie")
    assert len(django_entered) == 2


def test_an_entry_of_another_shape_goes_to_django_and_is_replaced(signature_factory, django_entered):
    signature_factory()
    first = wsgi()
    redis = get_redis_connection("default")
    (key,) = [key for key in redis.keys("*") if b":response-v1:" in key]
    redis.set(key, caches["default"].client.encode(("response-v1", {"total": 1}, "not headers", b"", None)))
    assert wsgi().body == first.body and len(django_entered) == 2
    assert wsgi().body == first.body and len(django_entered) == 2, "stored again"
    redis.set(key, b"\x80not a pickle")
    assert wsgi().body == first.body and len(django_entered) == 3


def test_with_redis_down_django_answers(signature_factory, settings, django_entered):
    signature_factory()
    settings.CACHES = {"default": {**settings.REDIS_CACHE, "LOCATION": "redis://127.0.0.1:1/0"}}
    for _ in range(2):
        answer = wsgi()
        assert (answer.status, total(answer)) == (200, 1)
    assert len(django_entered) == 2


def test_without_redis_the_fast_path_is_off(signature_factory, settings, django_entered):
    signature_factory()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    for _ in range(2):
        assert total(wsgi()) == 1
    assert len(django_entered) == 2


def test_a_worker_answers_from_memory_for_a_moment_and_forgets_a_change_made_through_it(
    signature_factory, django_user_model, settings, monkeypatch, django_entered, django_assert_num_queries
):
    settings.STATS_FAST_PATH_MEMO_SECONDS = 0.25
    organiser = django_user_model.objects.create_superuser("organiser", "organiser@example.org", "a-passphrase-1")
    signature = signature_factory()
    assert total(wsgi()) == 1  # Django answers and stores
    assert total(wsgi()) == 1  # read from Redis, remembered
    # Another worker's change: this worker cannot know, and keeps its answer for the moment it promised.
    caches["default"].delete(counts_cache_key(settings.COALITION_LETTER_SLUG))
    with django_assert_num_queries(0):
        assert total(wsgi()) == 1
    assert len(django_entered) == 1
    now = wsgi_cache.time.monotonic()
    monkeypatch.setattr(wsgi_cache.time, "monotonic", lambda: now + 0.3)
    assert total(wsgi()) == 1 and len(django_entered) == 2, "after the moment, Django answers again"
    assert total(wsgi()) == 1  # and that answer is remembered in turn
    moderation.signature_move(signature=signature, to=Signature.Status.FRAUDULENT, actor=organiser)
    assert total(wsgi()) == 0, "a change made through this worker shows at once"
