"""allauth's mails (sign-in codes, address confirmation, password reset, unknown address) read like our own:
the site's name, why the reader gets them, a text and an HTML part in our mail layout, in the reader's language."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.test import Client

from tests.accounts.conftest import login_code

PASSWORD = "a-long-passphrase-1"


def html_part(message):
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def first_link(text):
    return re.search(r"https?://\S+", text).group(0)


def test_the_sign_in_code_mail_names_the_site_says_why_and_has_the_code_in_both_parts(
    client, signed_and_confirmed, sign_in_by_code, mailoutbox
):
    signed_and_confirmed()
    response = sign_in_by_code("ada@example.org")
    assert response.url == "/account/", "the code read from the mail signs in"
    mail = mailoutbox[-1]
    code = login_code(mail)
    assert mail.subject == "[Creators Coalition on AI] Your sign-in code"
    assert mail.body.startswith("Hello,\n"), "no 'Hello from 127.0.0.1:8000!'"
    assert "Hello from" not in mail.body and "Thank you for using" not in mail.body
    assert "The code works for 10 minutes." in mail.body
    why = "You get this email because someone asked for a sign-in code for this address on our site."
    assert why in mail.body
    html = html_part(mail)
    assert '<html lang="en">' in html
    assert "Creators Coalition on AI" in html and why in html
    assert f">{code}</span>" in html, "the code stands on its own in the HTML part"
    assert "Hello from" not in html


def test_the_sign_in_code_mail_is_in_french_for_a_french_request(client, signed_and_confirmed, committed, mailoutbox):
    signed_and_confirmed()
    committed(client.post, "/fr/accounts/login/code/", {"email": "ada@example.org"})
    mail = mailoutbox[-1]
    assert mail.subject == "[Coalition des créateurs sur l'IA] Votre code de connexion"
    assert mail.body.startswith("Bonjour,\n")
    assert "Vous recevez cet e-mail parce que quelqu'un a demandé un code de connexion" in mail.body
    assert "Le code est valable 10 minutes." in mail.body
    code = re.search(r"\n    (\S+)\n", mail.body).group(1)
    html = html_part(mail)
    assert '<html lang="fr">' in html
    assert "Coalition des créateurs sur l'IA" in html and f">{code}</span>" in html
    assert "sign-in code" not in mail.body + html and "You get this email" not in mail.body + html
    committed(client.post, "/fr/accounts/login/code/confirm/", {"code": code})
    assert client.get("/account/").status_code == 200, "the French code signs in too"


@pytest.fixture
def organiser(member):
    user, _ = member("organiser@example.org")
    user.set_password(PASSWORD)
    user.save()
    return user


def unknown_address_asks_for_a_code(client, prefix=""):
    client.post(f"{prefix}/accounts/login/code/", {"email": "nobody@example.org"})


def member_adds_an_address(client, prefix=""):
    client.force_login(get_user_model().objects.get(email="organiser@example.org"))
    client.post(f"{prefix}/accounts/email/", {"email": "new@example.org", "action_add": ""})


def unconfirmed_address_signs_in(client, prefix=""):
    user = get_user_model().objects.create_user(username="late", email="late@example.org", password=PASSWORD)
    EmailAddress.objects.create(user=user, email="late@example.org", verified=False, primary=True)
    client.post(f"{prefix}/accounts/login/", {"login": "late@example.org", "password": PASSWORD})


def organiser_resets_password(client, prefix=""):
    client.post(f"{prefix}/accounts/password/reset/", {"email": "organiser@example.org"})


ACCOUNT_MAILS = {
    "unknown account": (
        unknown_address_asks_for_a_code,
        "No account uses this address",
        "Aucun compte n'utilise cette adresse",
        "/",
    ),
    "address confirmation": (
        member_adds_an_address,
        "Confirm your email address",
        "Confirmez votre adresse e-mail",
        "/accounts/confirm-email/",
    ),
    "address confirmation at sign-in": (
        unconfirmed_address_signs_in,
        "Confirm your email address",
        "Confirmez votre adresse e-mail",
        "/accounts/confirm-email/",
    ),
    "password reset": (
        organiser_resets_password,
        "Reset your password",
        "Réinitialisez votre mot de passe",
        "/accounts/password/reset/key/",
    ),
}


@pytest.mark.parametrize("name", ACCOUNT_MAILS)
def test_every_account_mail_names_the_site_says_why_and_has_an_html_part_with_a_working_link(
    name, organiser, committed, mailoutbox
):
    ask, subject, _, path = ACCOUNT_MAILS[name]
    committed(ask, Client())
    [mail] = mailoutbox
    assert mail.subject == f"[Creators Coalition on AI] {subject}"
    assert mail.body.startswith("Hello,\n") and "Hello from" not in mail.body
    assert "You get this email because" in mail.body and "If it was not you, ignore it" in mail.body
    link = first_link(mail.body)
    assert path in link
    html = html_part(mail)
    assert '<html lang="en">' in html
    assert "You get this email because" in html and f'href="{link}"' in html
    assert Client().get(link, follow=True).status_code == 200


@pytest.mark.parametrize("name", ACCOUNT_MAILS)
def test_every_account_mail_is_in_french_for_a_french_request(name, organiser, committed, mailoutbox):
    ask, _, subject, path = ACCOUNT_MAILS[name]
    committed(ask, Client(), prefix="/fr")
    [mail] = mailoutbox
    link = first_link(mail.body)
    assert f"/fr{path}" in link, "the link opens the page in French"
    assert '<html lang="fr">' in Client().get(link, follow=True).text
    assert mail.subject == f"[Coalition des créateurs sur l'IA] {subject}"
    assert mail.body.startswith("Bonjour,\n")
    assert "Vous recevez cet e-mail parce que" in mail.body and "You get this email" not in mail.body
    html = html_part(mail)
    assert '<html lang="fr">' in html and "Vous recevez cet e-mail parce que" in html
