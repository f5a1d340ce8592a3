"""The admin holds the keys to the public list: it opens only to organisers who sign in with a password and the code
of their authenticator app (or one of their recovery codes)."""

import pytest
from django.test import Client

from tests.accounts.conftest import ORGANISER_PASSWORD, set_up_authenticator_app, totp_code
from tests.conftest import ORGANISER_TOTP_SECRET


def sign_in_with_password(client, email="organiser@example.org"):
    return client.post("/accounts/login/", {"login": email, "password": ORGANISER_PASSWORD})


def signed_in(client):
    return "_auth_user_id" in client.session


@pytest.mark.without_second_factor
def test_an_organiser_without_an_authenticator_app_is_sent_to_set_one_up_before_the_admin_opens(
    client, organiser_account
):
    organiser_account()
    assert sign_in_with_password(client).status_code == 302
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url == "/accounts/2fa/totp/activate/"
    assert client.get("/admin/signatures/signature/").url == "/accounts/2fa/totp/activate/", "every admin page"
    _, codes = set_up_authenticator_app(client)
    assert len(codes) == 10, "recovery codes come with the app"
    assert client.get("/admin/").status_code == 200


@pytest.mark.without_second_factor
def test_a_moderator_needs_an_authenticator_app_too(client, organiser_account):
    organiser_account("moderator@example.org")
    sign_in_with_password(client, "moderator@example.org")
    assert client.get("/admin/").url == "/accounts/2fa/totp/activate/"


@pytest.mark.without_second_factor
def test_once_set_up_the_password_alone_does_not_sign_in_the_code_does(client, organiser_account):
    organiser_account()
    sign_in_with_password(client)
    secret, _ = set_up_authenticator_app(client)
    client.post("/accounts/logout/")

    thief = Client()
    response = sign_in_with_password(thief)
    assert response.url == "/accounts/2fa/authenticate/"
    assert not signed_in(thief)
    assert thief.get("/admin/").status_code == 302
    wrong = thief.post("/accounts/2fa/authenticate/", {"code": "000000" if totp_code(secret) != "000000" else "111111"})
    assert wrong.status_code == 200 and "Incorrect code" in wrong.text
    assert not signed_in(thief)

    owner = Client()
    sign_in_with_password(owner)
    assert owner.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)}).status_code == 302
    assert signed_in(owner)
    assert owner.get("/admin/").status_code == 200


@pytest.mark.without_second_factor
def test_a_recovery_code_stands_in_for_a_lost_phone_once(client, organiser_account):
    organiser_account()
    sign_in_with_password(client)
    _, codes = set_up_authenticator_app(client)
    client.post("/accounts/logout/")

    sign_in_with_password(client)
    assert client.post("/accounts/2fa/authenticate/", {"code": codes[0]}).status_code == 302
    assert client.get("/admin/").status_code == 200
    client.post("/accounts/logout/")

    sign_in_with_password(client)
    again = client.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert again.status_code == 200 and "Incorrect code" in again.text, "each recovery code works once"
    assert not signed_in(client)


def test_the_admin_sign_in_is_allauths_and_asks_for_the_code(client, organiser_account):
    organiser_account()
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/?next=%2Fadmin%2F"
    response = client.post(
        "/accounts/login/?next=%2Fadmin%2F",
        {"login": "organiser@example.org", "password": ORGANISER_PASSWORD, "next": "/admin/"},
    )
    assert response.url == "/accounts/2fa/authenticate/"
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(ORGANISER_TOTP_SECRET)})
    assert response.url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_member_signing_in_by_code_is_not_asked_for_an_authenticator_app(
    client, signed_and_confirmed, sign_in_by_code
):
    signed_and_confirmed()
    assert sign_in_by_code("ada@example.org").url == "/account/"
    assert client.get("/account/").status_code == 200
    assert client.get("/admin/").status_code == 302, "and the admin stays closed to members"
