"""Text a stranger types is mailed from the coalition's address to whatever address they typed: it must not carry a
link or an address, and our mails never turn it into one. A box is ticked only by a tick."""

import re
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from coalition.signatures.models import Signature
from coalition.signatures.moderation import signature_update_by_signer
from tests.conftest import sign_form_data

LINK_NAMES = [
    "Claim your prize at http://prize.example",
    "HTTPS://prize.example",
    "Visit www.prize.example",
    "Visit ＷＷＷ．prize.example",  # full-width letters, which mail programs read as www.
    "Write to winner@prize.example",
    "winner＠prize.example",
    "ht\u200dtp://prize.example",
]


@pytest.mark.parametrize("name", LINK_NAMES)
def test_a_name_with_a_link_or_an_address_is_refused_at_signing(sign, mailoutbox, name):
    response = sign(name=name)
    assert response.status_code == 400
    assert "Please enter a name without a web or email address." in response.text
    assert Signature.objects.count() == 0
    assert mailoutbox == []


@pytest.mark.parametrize("name", ["will.i.am", "J.K. Simmons", "Dr. Ada Lovelace-Byron", "Mx. A.B.C."])
def test_names_with_dots_are_names(sign, name):
    assert sign(name=name).status_code == 302
    assert Signature.objects.get().name == name


def test_the_services_refuse_it_too(signature_factory):
    # What the member's page and any other caller go through, not only the sign form.
    signature = signature_factory(name="Ada Lovelace")
    with pytest.raises(ValidationError):
        signature_update_by_signer(
            signature=signature,
            name="Ada at www.prize.example",
            affiliation="",
            profile_url="",
            public=True,
        )
    assert Signature.objects.get(pk=signature.pk).name == "Ada Lovelace"


@pytest.mark.parametrize(
    ("language", "greeting", "contact"),
    [
        ("en", "Hello will.i.am,", "Reply to this email to tell the coalition's organisers."),
        ("fr", "will.i.am", "Répondez à cet e-mail pour prévenir les organisateurs de la coalition."),
    ],
)
def test_the_mails_greet_by_name_without_a_link_and_say_whom_to_contact(
    letter, mailoutbox, django_capture_on_commit_callbacks, language, greeting, contact
):
    client = Client()
    letter_page = "/" if language == "en" else f"/{language}/"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(letter_page, sign_form_data(name="will.i.am", email="will@example.org"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(letter_page, sign_form_data(name="will.i.am", email="will@example.org"))  # "already signed"
    assert len(mailoutbox) == 2
    for message in mailoutbox:
        html = message.alternatives[0][0]
        for anchor in re.findall(r"<a\b[^>]*>.*?</a>", html, flags=re.S):
            assert "will.i.am" not in anchor
        assert contact in message.body
        assert contact in unescape(html)
    confirmation = mailoutbox[0]
    assert greeting in confirmation.body
    assert greeting in confirmation.alternatives[0][0]


@pytest.mark.parametrize("value", ["0", "false", "False", "off", "OFF", "no", ""])
def test_a_consent_box_posted_as_not_ticked_is_not_consent(sign, mailoutbox, value):
    response = sign(consent=value)
    assert response.status_code == 400
    assert "Please tick this box to sign." in response.text
    assert Signature.objects.count() == 0
    assert mailoutbox == []


@pytest.mark.parametrize("value", ["0", "false", "off"])
def test_a_public_box_posted_as_not_ticked_keeps_the_name_off_the_list(sign, value):
    assert sign(public=value).status_code == 302
    assert Signature.objects.get().public is False


def test_a_ticked_box_is_consent(sign):
    assert sign(consent="on").status_code == 302
    assert Signature.objects.count() == 1
