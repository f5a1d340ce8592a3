"""The sign form cleans its fields without Django's BoundFields (a sixth of its CPU): the outcome must be Django's."""

import re

import pytest
from django import forms
from django.utils import translation

from coalition.signatures.forms import SignForm
from tests.conftest import sign_form_data


class _DjangosCleaning(SignForm):
    """The sign form, cleaned by Django's own loop."""

    def _clean_fields(self):
        return forms.Form._clean_fields(self)


SUBMISSIONS = {
    "valid": {},
    "no name, no craft": {"name": "", "craft": None},
    "an address that is not one": {"email": "ada@"},
    "a typo of a big provider": {"email": "ada@hotmial.fr"},
    "the typo kept on purpose": {"email": "ada@hotmial.fr", "keep_email": "on"},
    "a disposable address": {"email": "ada@mailinator.com"},
    "a typo that is a disposable domain too": {"email": "ada@gmial.com", "keep_email": "on"},
    "a hidden character in the name": {"name": "Ada\u202eLovelace"},
    "a NUL byte in the form's timestamp": {"started": "\x00"},
    "no timestamp": {"started": None},
    "an unknown craft and country": {"craft": "wizard", "country": "XX"},
    "a link with a password": {"profile_url": "https://user:secret@example.org/"},
    "no consent": {"consent": None},
    "a honeypot filled in": {"website": "http://spam.example"},
}


# The form accepts these; the view still refuses the honeypot's.
VALID = {"valid", "the typo kept on purpose", "a honeypot filled in"}


@pytest.mark.parametrize("submission", SUBMISSIONS)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_sign_form_judges_every_submission_as_djangos_own_cleaning_would(submission, language):
    overrides = SUBMISSIONS[submission]
    data = {key: value for key, value in {**sign_form_data(), **overrides}.items() if value is not None}
    with translation.override(language):
        ours, djangos = SignForm(data), _DjangosCleaning(data)
        assert ours.is_valid() == djangos.is_valid() == (submission in VALID)
        # Cleaned without BoundFields: Django makes one only for a field with an error (for its message's id).
        assert set(ours._bound_fields_cache) <= set(ours.errors)
        assert ours.errors == djangos.errors
        assert ours.cleaned_data == djangos.cleaned_data
        assert ours.email_suggestion == djangos.email_suggestion
        # A form shown again renders the same fields, values and messages (a re-issued timestamp aside: the two
        # forms may sign it a second apart).
        assert _without_timestamp(str(ours)) == _without_timestamp(str(djangos))


def _without_timestamp(html):
    return re.sub(r'(name="started" value=")[^"]*"', r"\1", html)


def test_a_prefixed_sign_form_reads_its_own_fields():
    data = {f"s-{key}": value for key, value in sign_form_data(name="Ada Lovelace").items()}
    ours, djangos = SignForm(data, prefix="s"), _DjangosCleaning(data, prefix="s")
    assert ours.is_valid() and djangos.is_valid()
    assert ours.cleaned_data == djangos.cleaned_data
    assert ours.cleaned_data["name"] == "Ada Lovelace"


def test_a_bound_field_class_of_its_own_is_used_to_read_the_post():
    class Shouting(forms.BoundField):
        @property
        def data(self):
            value = super().data
            return value.upper() if self.name == "name" else value

    form = SignForm(sign_form_data(name="Ada Lovelace"))
    form.bound_field_class = Shouting
    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == "ADA LOVELACE"


def test_a_disabled_field_is_cleaned_from_its_initial_value_as_django_does():
    form = SignForm(sign_form_data(craft="actor"), initial={"craft": "writer"})
    form.fields["craft"].disabled = True
    assert form.is_valid(), form.errors
    assert form.cleaned_data["craft"] == "writer"
