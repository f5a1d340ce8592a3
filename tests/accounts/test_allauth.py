import pytest

from coalition.mail.models import OutgoingMail

PASSWORD = "a-long-passphrase-1"


def test_allauth_is_wired_login_and_signup_pages_render(client, db):
    assert client.get("/accounts/login/").status_code == 200
    assert client.get("/accounts/signup/").status_code == 200


def test_signing_up_sends_an_email_verification_through_the_outbox(
    client, db, mailoutbox, django_user_model, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/signup/",
            {"email": "organiser@example.org", "password1": "a-long-passphrase-1", "password2": "a-long-passphrase-1"},
        )
    assert response.status_code == 302
    assert django_user_model.objects.filter(email="organiser@example.org").exists()
    assert len(mailoutbox) == 1
    assert "organiser@example.org" in mailoutbox[0].to
    row = OutgoingMail.objects.get(kind=OutgoingMail.Kind.ACCOUNT)
    assert row.status == OutgoingMail.Status.SENT
    assert row.body_text == "", "the verification link is not kept once sent"


@pytest.mark.parametrize(
    "email", ["a@\ufffd\ufffd\ufffd.com", "h@\uffff.com", '"a"@example.com', "e@a\u200bb.com", "g@\u0378.com"]
)
def test_sign_up_refuses_addresses_that_are_not_real_ones(client, db, mailoutbox, django_user_model, email):
    response = client.post("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 200
    assert "Enter a valid email address" in response.text
    assert not django_user_model.objects.exists()
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
