import pytest
from allauth.account.models import EmailAddress

from coalition.mail.models import OutgoingMail


def test_allauth_is_wired_the_sign_in_pages_render(client, db):
    assert client.get("/accounts/login/").status_code == 200
    assert client.get("/accounts/login/code/").status_code == 200


def add_address(client, email):
    return client.post("/accounts/email/", {"email": email, "action_add": ""})


def test_adding_an_address_sends_its_confirmation_through_the_outbox(
    client, member, mailoutbox, django_capture_on_commit_callbacks
):
    user, _ = member("ada@example.org")
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = add_address(client, "ada.lovelace@example.org")
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ada.lovelace@example.org"]
    row = OutgoingMail.objects.get(kind=OutgoingMail.Kind.ACCOUNT)
    assert row.status == OutgoingMail.Status.SENT
    assert row.body_text == "", "the confirmation link is not kept once sent"


@pytest.mark.parametrize(
    "email", ["a@\ufffd\ufffd\ufffd.com", "h@\uffff.com", '"a"@example.com', "e@a\u200bb.com", "g@\u0378.com"]
)
def test_adding_an_address_refuses_addresses_that_are_not_real_ones(client, member, mailoutbox, email):
    user, _ = member("ada@example.org")
    client.force_login(user)
    response = add_address(client, email)
    assert response.status_code == 200
    assert "Enter a valid email address" in response.text
    assert EmailAddress.objects.filter(user=user).count() == 1
    assert mailoutbox == []


def test_password_reset_with_a_broken_address_is_a_form_error(client, db):
    # %ED%A0%80 is a UTF-16 surrogate encoded as UTF-8: invalid, decoded by Django to replacement characters.
    response = client.post(
        "/accounts/password/reset/", "email=a%40%ED%A0%80.com", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert "Enter a valid email address" in response.text


def test_removing_an_address_asks_first_with_allauths_own_script_the_csp_allows(client, member):
    user, _ = member("ada@example.org")
    client.force_login(user)
    page = client.get("/accounts/email/")
    assert page.status_code == 200
    text = page.content.decode()
    # allauth's confirm prompt: its static scripts and a JSON data block (not executed, so not an inline script).
    assert '/static/account/js/account.js"' in text and '/static/account/js/onload.js"' in text
    assert 'data-allauth-onload="allauth.account.forms.manageEmailForm" type="application/json"' in text
    assert "script-src 'self'" in page["Content-Security-Policy"]
