"""Nobody can prepare an account on someone else's address: there is no sign-up with a password, and a password set
on an account before its address was proven goes when the address's owner proves it."""

import re
from urllib.parse import urlsplit

from allauth.account.models import EmailAddress
from django.test import Client

PASSPHRASE = "intruders-long-passphrase-9"


def test_there_is_no_sign_up_with_a_password(client, db, mailoutbox, django_user_model):
    page = client.get("/accounts/signup/")
    assert page.status_code == 200
    assert "No sign-up needed" in page.text and 'href="/accounts/login/code/"' in page.text
    assert "password" not in page.text.lower()
    french = client.get("/fr/accounts/signup/")
    assert "Pas besoin de créer un compte" in french.text and "Envoyez-moi un code de connexion" in french.text
    response = client.post(
        "/accounts/signup/", {"email": "ada@example.org", "password1": PASSPHRASE, "password2": PASSPHRASE}
    )
    assert response.status_code == 200 and "No sign-up needed" in response.text
    assert not django_user_model.objects.exists()
    assert mailoutbox == []


def test_the_sign_in_page_does_not_send_anyone_to_sign_up(client, db):
    page = client.get("/accounts/login/")
    assert "/accounts/signup/" not in page.text and "sign up" not in page.text.lower()


def test_an_intruder_who_signs_up_first_with_a_signers_address_gets_nothing(
    client, signed_and_confirmed, sign_in_by_code, committed, mailoutbox, django_user_model
):
    intruder = Client()
    committed(
        intruder.post,
        "/accounts/signup/",
        {"email": "ada@example.org", "password1": PASSPHRASE, "password2": PASSPHRASE},
    )
    assert mailoutbox == [], "no 'confirm your email' mail for the signer to click"

    signed_and_confirmed(name="Ada Lovelace")
    assert sign_in_by_code("ada@example.org").url == "/account/"
    assert "Ada Lovelace" in client.get("/account/signature/").text
    [ada] = django_user_model.objects.all()
    assert not ada.has_usable_password()

    intruder.post("/accounts/login/", {"login": "ada@example.org", "password": PASSPHRASE})
    assert "_auth_user_id" not in intruder.session
    assert intruder.get("/account/signature/").status_code == 302


def test_a_password_set_before_the_address_was_proven_goes_when_its_owner_confirms_it_by_mail(
    client, signed_and_confirmed, sign_in_by_code, committed, mailoutbox, django_user_model
):
    # An account opened with a password on Ada's address before sign-up closed, never confirmed.
    intruder_account = django_user_model.objects.create_user(username="x", email="ada@example.org", password=PASSPHRASE)
    EmailAddress.objects.create(user=intruder_account, email="ada@example.org", verified=False, primary=True)
    signed_and_confirmed(name="Ada Lovelace")

    # The intruder's sign-in sends Ada a "confirm your email address" mail; Ada clicks it and confirms.
    intruder = Client()
    committed(intruder.post, "/accounts/login/", {"login": "ada@example.org", "password": PASSPHRASE})
    assert "_auth_user_id" not in intruder.session
    [mail] = mailoutbox
    link = urlsplit(re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.body)[0]).path
    ada = Client()
    assert ada.post(link).status_code == 302
    assert EmailAddress.objects.get(email="ada@example.org").verified

    intruder_account.refresh_from_db()
    assert not intruder_account.has_usable_password()
    intruder.post("/accounts/login/", {"login": "ada@example.org", "password": PASSPHRASE})
    assert "_auth_user_id" not in intruder.session
    assert "_auth_user_id" not in ada.session, "confirming an address does not sign anyone in"
    assert sign_in_by_code("ada@example.org").url == "/account/"
    assert "Ada Lovelace" in client.get("/account/signature/").text


def test_a_members_own_password_stays_when_they_confirm_another_address(client, member, committed, mailoutbox):
    user, _ = member("ada@example.org")
    user.set_password(PASSPHRASE)
    user.save()
    client.force_login(user)
    committed(client.post, "/accounts/email/", {"email": "ada.lovelace@example.org", "action_add": ""})
    link = urlsplit(re.search(r"https?://\S+/accounts/confirm-email/\S+/", mailoutbox[-1].body)[0]).path
    client.post(link)
    assert EmailAddress.objects.get(email="ada.lovelace@example.org").verified
    user.refresh_from_db()
    assert user.check_password(PASSPHRASE)
