from allauth.account.forms import RequestLoginCodeForm
from allauth.core import context as allauth_context
from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from coalition.signatures.forms import (
    URL_INPUT,
    HttpURLField,
    SignForm,
    TickBox,
    clean_display_text,
    clean_email_address,
    country_field,
)
from coalition.signatures.models import Craft

from .models import BIO_MAX_LENGTH, MemberProfile
from .services import UNPROVEN_SESSION_KEY, member_for_signer, member_is_unproven, member_unproven_claim_drop


class MemberLoginCodeForm(RequestLoginCodeForm):
    """allauth's "send me a sign-in code", which also opens an account for a signer who never made one:
    the code, sent to the address, is what proves it is theirs."""

    def clean_email(self):
        if self.cleaned_data.get("email"):
            self.cleaned_data["email"] = clean_email_address(self.cleaned_data["email"])
        email = super().clean_email()
        if email and self._user is not None and member_unproven_claim_drop(user=self._user, email=email):
            # Another member added this address without proving it: never sign its owner into their account.
            self._user = None
        if email and self._user is None:
            self._user = member_for_signer(email=email)
        elif email and member_is_unproven(user=self._user):
            # Someone set a password on this address without ever proving it is theirs; whoever proves it now
            # with the code must not share the account with them (see AccountAdapter.login).
            allauth_context.request.session[UNPROVEN_SESSION_KEY] = self._user.pk
        return email


UPDATES_CONSENT_TEXT = gettext_lazy(
    "Send me news of the Creators Coalition on AI by email (a few times a year). I can stop them at any time "
    "with one click in any of our mails or on my member page."
)


def clean_bio(value):
    """Plain text over a few lines: the same refusals as a name, line by line."""
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for line in lines:
        if line.strip():
            clean_display_text(line)
    return "\n".join(line.rstrip() for line in lines).strip()


class SignatureDisplayForm(forms.Form):
    """How a signature is shown: the sign form's own fields and checks."""

    name = SignForm.base_fields["name"]
    affiliation = SignForm.base_fields["affiliation"]
    profile_url = SignForm.base_fields["profile_url"]
    public = SignForm.base_fields["public"]

    def clean_name(self):
        return clean_display_text(self.cleaned_data["name"])

    def clean_affiliation(self):
        return clean_display_text(self.cleaned_data["affiliation"])


class ProfileForm(forms.Form):
    crafts = forms.MultipleChoiceField(
        label=gettext_lazy("Your crafts"), choices=Craft.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    union = forms.CharField(
        label=gettext_lazy("Union or guild (optional)"),
        max_length=MemberProfile._meta.get_field("union").max_length,
        required=False,
        help_text=gettext_lazy('For example "SAG-AFTRA" or "Writers Guild of Great Britain". Not shown publicly.'),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    country = country_field()
    bio = forms.CharField(
        label=gettext_lazy("A short public bio (optional)"),
        max_length=BIO_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=format_lazy(gettext_lazy("Plain text, up to {n} characters. Shown publicly."), n=BIO_MAX_LENGTH),
    )
    updates = forms.BooleanField(label=UPDATES_CONSENT_TEXT, required=False, widget=TickBox)

    def clean_union(self):
        return clean_display_text(self.cleaned_data["union"])

    def clean_bio(self):
        return clean_bio(self.cleaned_data["bio"])


class DeleteAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("Yes, delete my account and withdraw my signature"),
        widget=TickBox,
        error_messages={"required": gettext_lazy("Tick this box to confirm.")},
    )


class ChannelForm(forms.Form):
    url = HttpURLField(
        label=gettext_lazy("Your channel, podcast feed or newsletter page"),
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(attrs=URL_INPUT),
        help_text=gettext_lazy("A public http or https page where you can place the text below."),
    )
