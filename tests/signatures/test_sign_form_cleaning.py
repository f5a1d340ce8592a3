"""What the sign form says about each kind of submission, in English and French: valid, or which fields to correct."""

import pytest
from django.utils import translation
from django.utils.html import conditional_escape

from coalition.signatures.forms import SignForm
from tests.conftest import sign_form_data

# Overrides of a valid submission (None: left out of the POST) -> the fields the person is asked to correct.
SUBMISSIONS = {
    "valid": ({}, []),
    "no name, no craft": ({"name": "", "craft": None}, ["craft", "name"]),
    "an address that is not one": ({"email": "ada@"}, ["email"]),
    "a typo of a big provider": ({"email": "ada@hotmial.fr"}, ["email"]),
    "the typo kept on purpose": ({"email": "ada@hotmial.fr", "keep_email": "on"}, []),
    "a disposable address": ({"email": "ada@mailinator.com"}, ["email"]),
    "a typo that is a disposable domain too": ({"email": "ada@gmial.com", "keep_email": "on"}, ["email"]),
    "a hidden character in the name": ({"name": "Ada\u202eLovelace"}, ["name"]),
    "a NUL byte in the form's timestamp": ({"started": "\x00"}, ["started"]),
    "no timestamp": ({"started": None}, ["started"]),
    "an unknown craft and country": ({"craft": "wizard", "country": "XX"}, ["country", "craft"]),
    "a link with a password": ({"profile_url": "https://user:secret@example.org/"}, ["profile_url"]),
    "no consent": ({"consent": None}, ["consent"]),
    # The form accepts it; the view answers as to a person and stores nothing.
    "a honeypot filled in": ({"website": "http://spam.example"}, []),
}


@pytest.mark.parametrize("submission", SUBMISSIONS)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_sign_form_asks_to_correct_exactly_the_wrong_fields(submission, language):
    overrides, wrong = SUBMISSIONS[submission]
    data = {key: value for key, value in {**sign_form_data(), **overrides}.items() if value is not None}
    with translation.override(language):
        form = SignForm(data)
        assert form.is_valid() == (not wrong)
        assert sorted(form.errors) == wrong
        # A form shown again renders with every message (a hidden field's at the top).
        html = str(form)
        for name in wrong:
            for message in form.errors[name]:
                assert conditional_escape(message) in html


def test_a_typo_of_a_big_provider_offers_the_correction():
    form = SignForm(sign_form_data(email="ada@hotmial.fr"))
    assert not form.is_valid()
    assert form.email_suggestion == "ada@hotmail.fr"
    assert "ada@hotmail.fr" in form.errors["email"][0]
