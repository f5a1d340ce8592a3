import base64
import hashlib
import hmac
import html
import re
import struct
import time

import pytest
from allauth.account.models import EmailAddress

from tests.conftest import CONFIRMATION_LINK, confirm_path


def login_code(message):
    """The code in allauth's sign-in mail: the line after the instruction."""
    match = re.search(r"browser window\.\s+(\S+)\s", message.body)
    assert match, f"no sign-in code in: {message.body}"
    return match.group(1)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a block's on-commit hooks (the outbox enqueue) as a real request's commit would."""

    def _run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return _run


@pytest.fixture
def sign_in_by_code(client, committed, mailoutbox):
    """Request a code for `email`, read it from the mail, enter it. Returns the final response."""

    def _sign_in(email, the_client=None):
        the_client = the_client or client
        before = len(mailoutbox)
        response = committed(the_client.post, "/accounts/login/code/", {"email": email})
        assert response.status_code == 302, response.text
        assert len(mailoutbox) == before + 1, "one sign-in mail"
        code = login_code(mailoutbox[-1])
        return committed(the_client.post, "/accounts/login/code/confirm/", {"code": code})

    return _sign_in


@pytest.fixture
def signed_and_confirmed(sign, client, mailoutbox, committed):
    """Sign the letter through the form as Ada and confirm through the mailed link, signed out afterwards."""

    def _go(**overrides):
        sign(**overrides)
        # The worker sends what else the address is owed in the same batch, so the confirmation need not be last.
        confirmation = next(m for m in reversed(mailoutbox) if CONFIRMATION_LINK.search(m.body))
        committed(client.post, confirm_path(confirmation))
        mailoutbox.clear()

    return _go


@pytest.fixture
def member(django_user_model, signature_factory):
    """A member with a verified address and a confirmed signature under it."""

    def _make(email, **signature_fields):
        user = django_user_model.objects.create_user(username=email, email=email)
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        signature = signature_factory(email=email, **signature_fields)
        return user, signature

    return _make


def totp_code(secret):
    """The code an authenticator app shows now for `secret` (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits)."""
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


ORGANISER_PASSWORD = "a-long-passphrase-1"


def set_up_authenticator_app(client):
    """What an organiser does on the page the admin sends them to: scan (here: read) the secret, type the code."""
    page = client.get("/accounts/2fa/totp/activate/")
    # allauth asks for the password again before an account's second factor changes.
    assert page.url == "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"
    again = client.post(page.url, {"password": ORGANISER_PASSWORD})
    assert again.url == "/accounts/2fa/totp/activate/"
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = re.search(r'value="([A-Z2-7]{32})"', page.text).group(1)
    done = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert done.status_code == 302, done.text
    return secret, recovery_codes(client)


def recovery_codes(client):
    page = client.get("/accounts/2fa/recovery-codes/")
    assert page.status_code == 200
    textarea = re.search(r'<textarea[^>]*id="recovery_codes"[^>]*>(.*?)</textarea>', page.text, re.S)
    return html.unescape(textarea.group(1)).split()


@pytest.fixture
def organiser_account(django_user_model):
    """An organiser as `createorganiser` makes one: staff, a password, a verified address."""

    def _make(email="organiser@example.org", **fields):
        user = django_user_model.objects.create_user(
            username=email, email=email, password=ORGANISER_PASSWORD, is_staff=True, **fields
        )
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        return user

    return _make
