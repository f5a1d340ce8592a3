import re

import pytest
from allauth.account.models import EmailAddress

from tests.conftest import confirm_path


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
        committed(client.post, confirm_path(mailoutbox[-1]))
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
