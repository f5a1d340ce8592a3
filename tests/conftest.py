import asyncio
import os
import re
import socket
import threading
from contextlib import contextmanager
from email import message_from_bytes, policy
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller

from coalition.celery import app as celery_app
from coalition.signatures.forms import started_token

from .factories import OrganisationFactory, SignatureFactory, coalition_letter

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def service_missing(reason):
    """Skip locally when a real service is missing; under REQUIRE_SERVICES=1 (CI) that is a failure."""
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True, scope="session")
def _static_files_as_they_are():
    """Production names static files by their content's hash, which needs `collectstatic` first (README); the tests
    read them where they are, as `make run` does. tests/deploy runs collectstatic and the production storage."""
    from django.conf import settings
    from django.test import override_settings

    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain}):
        yield


@pytest.fixture(autouse=True)
def eager_celery():
    """Tasks run in-process unless a test starts a real worker (tests/e2e)."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    from coalition.core.memo import memos_forget
    from coalition.core.wsgi_cache import forget_replays
    from coalition.signatures.ratelimits import limiter_reset

    cache.clear()
    memos_forget()
    forget_replays()
    limiter_reset()


@pytest.fixture(autouse=True)
def _no_minimum_fill_time(settings):
    """Tests submit at machine speed; the test of the minimum fill time sets it back."""
    settings.SIGN_MIN_SECONDS = 0


@pytest.fixture
def letter(db):
    return coalition_letter()


@pytest.fixture
def signature_factory(db):
    return SignatureFactory


@pytest.fixture
def organisation_factory(db):
    return OrganisationFactory


VALID_FORM = {
    "name": "Ada Lovelace",
    "email": "ada@example.org",
    "craft": "writer",
    "consent": "on",
    "public": "on",
    "affiliation": "Writer, WGA",
    "country": "GB",
    "profile_url": "https://example.org/ada",
}


def sign_form_data(**overrides):
    """A complete, valid submission, as the form served a moment ago would send it."""
    return {**VALID_FORM, "started": started_token(), **overrides}


@pytest.fixture
def sign(client, letter, django_capture_on_commit_callbacks):
    """POST the sign form the way a browser does, running on-commit hooks as a real commit would."""

    def _sign(path="/", **overrides):
        data = {**sign_form_data(), **overrides}
        data = {k: v for k, v in data.items() if v is not None}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, data)

    return _sign


def confirm_link(message):
    match = re.search(r"https?://[^\s\"<>]+/confirm/[A-Za-z0-9_-]+/", message.body)
    assert match, f"no confirmation link in: {message.body}"
    return match.group(0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Sink:
    """Collects every message the SMTP server accepts; can refuse with a temporary error."""

    def __init__(self):
        self.messages = []
        self.refuse = 0  # refuse this many DATA commands with 451
        self.slow_rcpt = 0  # seconds to stall the next RCPT, to catch a worker mid-send
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.slow_rcpt:
            delay, self.slow_rcpt = self.slow_rcpt, 0
            await asyncio.sleep(delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.refuse > 0:
                self.refuse -= 1
                return "451 4.3.0 Try again later"
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@contextmanager
def running_sink():
    """A real SMTP server (aiosmtpd) on a free local port, collecting what it accepts."""
    sink = _Sink()
    sink.port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def smtp_sink():
    with running_sink() as sink:
        yield sink


@pytest.fixture
def smtp_settings(settings, smtp_sink):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    return smtp_sink


def confirm_path(message):
    return urlsplit(confirm_link(message)).path


@contextmanager
def dead_broker():
    """Point the Celery app at a port where nothing listens, as when Redis is down."""
    old = celery_app.conf.broker_url, celery_app._pool, celery_app.amqp._producer_pool
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    celery_app._pool = celery_app.amqp._producer_pool = None
    try:
        yield
    finally:
        celery_app.conf.broker_url, celery_app._pool, celery_app.amqp._producer_pool = old
