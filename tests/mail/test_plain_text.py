"""Subjects and plain-text bodies are plain text: what a French reader sees in their inbox is "l'IA", never
"l&#x27;IA", for every kind of mail the site sends."""

import re

import pytest
from allauth.account.adapter import get_adapter
from django.test import RequestFactory
from django.utils import translation

from coalition.accounts.models import CoalitionUpdate
from coalition.mail.models import OutgoingMail
from coalition.mail.sending import mail_message
from tests.factories import OrganisationFactory, SignatureFactory

ENTITY = re.compile(r"&(#\d+|#x[0-9a-f]+|[a-z]+);", re.IGNORECASE)
LANGUAGES = ["en", "fr"]


def _outbox_mail(kind, language):
    signature = SignatureFactory(name="Renée O'Hara & <Co>", language=language, pending=True)
    row = {"kind": kind, "to": signature.email, "language": language}
    if kind == OutgoingMail.Kind.ORGANISATION_CONFIRMATION:
        row["organisation"] = OrganisationFactory(name="Writers' Guild & Friends", contact_name="Pat O'Neil")
    elif kind == OutgoingMail.Kind.COALITION_UPDATE:
        row["update"] = CoalitionUpdate.objects.create(
            subject="It's only the beginning", body="Thanks.", subject_fr="Ce n'est qu'un début", body_fr="Merci."
        )
    else:
        row["signature"] = signature
    return mail_message(OutgoingMail.objects.create(**row))


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "kind",
    [
        OutgoingMail.Kind.SIGNATURE_CONFIRMATION,
        OutgoingMail.Kind.ALREADY_SIGNED,
        OutgoingMail.Kind.ORGANISATION_CONFIRMATION,
        OutgoingMail.Kind.COALITION_UPDATE,
    ],
)
def test_the_site_s_own_mails_have_plain_text_subjects_and_bodies(kind, language):
    message = _outbox_mail(kind, language)
    assert not ENTITY.search(message.subject), message.subject
    assert not ENTITY.search(message.body), message.body
    if kind == OutgoingMail.Kind.COALITION_UPDATE:
        expected = "Ce n'est qu'un début" if language == "fr" else "It's only the beginning"
        assert message.subject.endswith(expected)
    if language == "fr" and kind != OutgoingMail.Kind.COALITION_UPDATE:
        assert "l'IA" in message.subject or "l’IA" in message.subject, message.subject


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "template_prefix",
    [
        "account/email/login_code",
        "account/email/email_confirmation",
        "account/email/password_reset_key",
        "account/email/unknown_account",
    ],
)
def test_account_mails_have_plain_text_subjects_and_bodies(template_prefix, language, settings):
    request = RequestFactory().get("/")
    context = {
        "request": request,
        "code": "ABC123",
        "code_minutes": 15,
        "activate_url": "https://example.org/a/",
        "password_reset_url": "https://example.org/r/",
        "signup_url": "https://example.org/s/",
        "site_url": settings.SITE_URL,
        "user": None,
        "email": "renee@example.org",
    }
    with translation.override(language):
        message = get_adapter(request).render_mail(template_prefix, "renee@example.org", context)
    assert not ENTITY.search(message.subject), message.subject
    assert not ENTITY.search(message.body), message.body
