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
from celery import Celery

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
    from coalition.mail.pacing import bulk_pace_reset
    from coalition.signatures.ratelimits import limiter_reset

    cache.clear()
    memos_forget()
    limiter_reset()
    bulk_pace_reset()


# The authenticator-app secret of every organiser a test creates (see organisers_have_a_second_factor).
ORGANISER_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture(autouse=True)
def organisers_have_a_second_factor(request):
    """The admin opens only to organisers with an authenticator app (coalition/accounts/sites.py). Tests of the admin
    give their organisers one from the moment the account is made, as an organiser has after following the README;
    tests of setting one up are marked `without_second_factor`."""
    if request.node.get_closest_marker("without_second_factor"):
        yield
        return
    from allauth.mfa.adapter import get_adapter
    from allauth.mfa.models import Authenticator
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_save

    def enrol(sender, instance, created, **kwargs):
        if created and instance.is_staff:
            Authenticator.objects.create(
                user=instance,
                type=Authenticator.Type.TOTP,
                data={"secret": get_adapter().encrypt(ORGANISER_TOTP_SECRET)},
            )

    post_save.connect(enrol, sender=get_user_model(), weak=False, dispatch_uid="tests.organiser_second_factor")
    yield
    post_save.disconnect(sender=get_user_model(), dispatch_uid="tests.organiser_second_factor")


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


CONFIRMATION_LINK = re.compile(r"https?://[^\s\"<>]+/confirm/[A-Za-z0-9_-]+/")


def confirm_link(message):
    match = CONFIRMATION_LINK.search(message.body)
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
        self.stall_rcpt = {}  # address -> seconds to stall its RCPT (once)
        self.refuse_rcpt = {}  # address -> SMTP reply to its RCPT, this many times: {"a@x": ("450 ...", 1)}
        self.peers = []  # the client's (address, port) of each accepted message: one port per SMTP connection
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.slow_rcpt:
            delay, self.slow_rcpt = self.slow_rcpt, 0
            await asyncio.sleep(delay)
        if address in self.stall_rcpt:
            await asyncio.sleep(self.stall_rcpt.pop(address))
        with self.lock:
            reply, times = self.refuse_rcpt.get(address, ("", 0))
            if times:
                self.refuse_rcpt[address] = (reply, times - 1)
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.refuse > 0:
                self.refuse -= 1
                return "451 4.3.0 Try again later"
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self.peers.append(session.peer)
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
    """Point Celery at a port where nothing listens, as when Redis is down: tasks are published through a second app
    made the current one (what shared tasks resolve to), and the project's app, which /healthz asks, gets the same
    broker URL."""
    dead_url = "redis://127.0.0.1:1/0"
    dead = Celery("coalition", set_as_current=False)
    dead.config_from_object("django.conf:settings", namespace="CELERY")
    dead.conf.update(broker_url=dead_url, task_always_eager=celery_app.conf.task_always_eager)
    old_url = celery_app.conf.broker_url
    celery_app.conf.broker_url = dead_url
    dead.set_current()
    try:
        yield
    finally:
        celery_app.set_current()
        celery_app.conf.broker_url = old_url


# Organisers are superusers (createorganiser); moderators are staff in the group a migration creates.
@pytest.fixture
def organiser(django_user_model):
    return django_user_model.objects.create_superuser("organiser", "organiser@example.org", "a-long-passphrase-1")


@pytest.fixture
def second_organiser(django_user_model):
    return django_user_model.objects.create_superuser("second", "second@example.org", "a-long-passphrase-1")


@pytest.fixture
def moderator(django_user_model):
    user = django_user_model.objects.create_user(
        "moderator", "moderator@example.org", "a-long-passphrase-1", is_staff=True
    )
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get(name="moderator"))
    return user
