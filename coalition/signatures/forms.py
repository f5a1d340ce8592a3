from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from .models import Craft, Signature
from .services import email_normalise

CONSENT_TEXT = _(
    "I agree that the Creators Coalition on AI stores my name, email address and the details above "
    "to confirm my signature and, if I choose, show my name on the public list; my email address is never published."
)


class SignForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=Signature._meta.get_field("name").max_length)
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("We send you a link to confirm. Never shown publicly."),
    )
    craft = forms.ChoiceField(label=_("Your craft"), choices=[("", _("Choose your craft"))] + Craft.choices)
    affiliation = forms.CharField(
        label=_("Affiliation (optional)"),
        required=False,
        max_length=200,
        help_text=_('For example "Actor, SAG-AFTRA".'),
    )
    country = forms.ChoiceField(label=_("Country (optional)"), required=False)
    profile_url = forms.URLField(
        label=_("Link to your work (optional)"),
        required=False,
        max_length=500,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("A web page that shows who you are: http or https only."),
    )
    public = forms.BooleanField(label=_("Show my name on the public list"), required=False, initial=True)
    consent = forms.BooleanField(label=CONSENT_TEXT, error_messages={"required": _("Please tick this box to sign.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("—"))] + list(countries)

    def clean_name(self):
        name = self.cleaned_data["name"]
        if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in name):
            raise forms.ValidationError(_("Please remove control characters from your name."))
        return name

    def clean_email(self):
        try:
            return email_normalise(self.cleaned_data["email"])
        except ValueError:
            raise forms.ValidationError(_("Enter a valid email address.")) from None
