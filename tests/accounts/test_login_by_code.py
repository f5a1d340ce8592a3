import re

from allauth.account.models import EmailAddress
from django.test import Client

from coalition.mail.models import OutgoingMail
from coalition.signatures.models import Signature


def test_a_confirmed_signer_signs_in_by_code_without_a_password_and_finds_their_signature(
    client, signed_and_confirmed, sign_in_by_code, mailoutbox, django_user_model
):
    signed_and_confirmed(name="Ada Lovelace", email="Ada@Example.org")
    response = sign_in_by_code("ada@example.org")
    assert response.status_code == 302
    assert response.url == "/account/"
    user = django_user_model.objects.get(email="ada@example.org")
    assert not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified, "the code proved the address"
    page = client.get("/account/signature/")
    assert page.status_code == 200
    assert "Ada Lovelace" in page.text
    signature = Signature.objects.get()
    assert signature.letter_version.title in page.text


def test_the_sign_in_code_goes_through_the_outbox_and_is_not_kept(client, signed_and_confirmed, sign_in_by_code):
    signed_and_confirmed()
    sign_in_by_code("ada@example.org")
    row = OutgoingMail.objects.filter(kind=OutgoingMail.Kind.ACCOUNT).get()
    assert row.to == "ada@example.org" and row.status == OutgoingMail.Status.SENT
    assert row.body_text == "" and row.body_html == ""


def test_a_wrong_code_does_not_sign_in(client, signed_and_confirmed, committed, mailoutbox):
    signed_and_confirmed()
    committed(client.post, "/accounts/login/code/", {"email": "ada@example.org"})
    response = client.post("/accounts/login/code/confirm/", {"code": "WRONG1"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert client.get("/account/").status_code == 302


def test_an_unknown_address_gets_the_same_page_and_no_account(client, db, committed, mailoutbox, django_user_model):
    response = committed(client.post, "/accounts/login/code/", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert not django_user_model.objects.exists()
    # allauth tells the address's owner that it has no account, in the mail rather than on the page.
    assert len(mailoutbox) == 1
    assert not re.search(r"browser window\.\s+\S+", mailoutbox[0].body), "no code for an unknown address"


def test_an_unconfirmed_signer_gets_no_account(client, sign, committed, mailoutbox, django_user_model):
    sign()
    mailoutbox.clear()
    committed(client.post, "/accounts/login/code/", {"email": "ada@example.org"})
    assert not django_user_model.objects.exists()


def test_requesting_codes_is_rate_limited(signed_and_confirmed, committed, mailoutbox):
    signed_and_confirmed()
    # A fresh browser each time, as a script hammering the form would be.
    responses = [committed(Client().post, "/accounts/login/code/", {"email": "ada@example.org"}) for _ in range(5)]
    assert [r.status_code for r in responses[:3]] == [302, 302, 302]
    for refused in responses[3:]:
        assert "Too many" in refused.text, "allauth refuses a fourth code a minute for one address"
    assert len(mailoutbox) == 3


def test_organisers_sign_in_by_password(client, member):
    user, _ = member("organiser@example.org")
    user.set_password("a-long-passphrase-1")
    user.is_staff = True
    user.save()
    response = client.post("/accounts/login/", {"login": "organiser@example.org", "password": "a-long-passphrase-1"})
    assert response.status_code == 302
    assert client.get("/account/").status_code == 200


def test_a_malformed_address_is_a_form_error(client, db, mailoutbox):
    response = client.post("/accounts/login/code/", {"email": "a@\ufffd.com"})
    assert response.status_code == 200
    assert "valid email address" in response.text
    assert mailoutbox == []


def test_sign_in_pages_use_the_site_layout(client, db):
    page = client.get("/accounts/login/code/")
    assert page.status_code == 200
    assert "Creators Coalition on AI" in page.text and "site.css" in page.text


def test_a_password_set_by_someone_who_never_proved_the_address_stops_working(
    client, signed_and_confirmed, sign_in_by_code, committed, django_user_model
):
    # An account opened with a password on Ada's address before sign-up closed, never confirmed.
    passphrase = "intruders-long-passphrase-9"
    account = django_user_model.objects.create_user(username="x", email="ada@example.org", password=passphrase)
    EmailAddress.objects.create(user=account, email="ada@example.org", verified=False, primary=True)
    intruder = Client()
    assert intruder.post("/accounts/login/", {"login": "ada@example.org", "password": passphrase}).status_code == 302
    assert "_auth_user_id" not in intruder.session, "unverified: no sign-in by password"
    signed_and_confirmed()
    sign_in_by_code("ada@example.org")
    user = django_user_model.objects.get(email="ada@example.org")
    assert not user.has_usable_password()
    late = Client()
    late.post("/accounts/login/", {"login": "ada@example.org", "password": passphrase})
    assert "_auth_user_id" not in late.session
    assert "Ada Lovelace" in client.get("/account/signature/").text


def test_an_address_another_member_added_without_proving_it_never_opens_their_account(
    client, signed_and_confirmed, sign_in_by_code, member, committed, django_user_model
):
    # Mallory, a member with her own proven address, adds Ada's address to her account; it stays unverified.
    mallory, _ = member("mallory@example.org", name="Mallory Mal")
    EmailAddress.objects.create(user=mallory, email="ada@example.org", verified=False, primary=False)
    mallory_browser = Client()
    mallory_browser.force_login(mallory)

    signed_and_confirmed(name="Ada Lovelace")
    assert sign_in_by_code("ada@example.org").status_code == 302
    ada = django_user_model.objects.get(pk=client.session["_auth_user_id"])
    assert ada != mallory, "Ada gets an account of her own"
    assert EmailAddress.objects.get(email="ada@example.org").user == ada
    assert EmailAddress.objects.get(email="ada@example.org").verified
    assert "Ada Lovelace" in client.get("/account/signature/").text
    assert "Ada Lovelace" not in mallory_browser.get("/account/signature/").text
    assert "ada@example.org" not in mallory_browser.get("/account/data.json").text
