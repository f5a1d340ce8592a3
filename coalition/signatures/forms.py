import time
import unicodedata
from functools import lru_cache
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core import signing
from django.core.validators import URLValidator
from django.forms.utils import flatatt
from django.utils.choices import BaseChoiceIterator
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from .models import Craft, Organisation, Signature
from .services import email_is_disposable, email_normalise, email_suggestion
from .validators import validate_person_name

_STARTED_SALT = "signatures.sign-form.started"


def started_token():
    """When the form was served, signed so a bot cannot forge an old one."""
    return signing.TimestampSigner(salt=_STARTED_SALT).sign(str(int(time.time())))


@lru_cache(maxsize=32)
def _countries_by_name(language):
    # Sorted by name in `language`, as django-countries sorts them; a tuple every form and page shares.
    return tuple(countries)


class _CountryChoices(BaseChoiceIterator):
    """The country menu, sorted by name in the active language, built once per language rather than per form:
    translating, sorting and normalising 250 names on every view and POST of the sign form is wasted work.
    Django takes a choice iterator as it is, so neither the field nor its widget normalises the names again."""

    def __iter__(self):
        yield "", gettext("—")
        yield from _countries_by_name(get_language())


COUNTRY_CHOICES = _CountryChoices()


@lru_cache(maxsize=256)
def _country_menu_html(language, name, value, attrs, empty_label):
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (code, " selected" if code == value else "", label)
            for code, label in (("", empty_label), *_countries_by_name(language))
        ),
    )
    return format_html('<select name="{}"{}>{}</select>', name, flatatt(dict(attrs)), options)


def country_menu(*, name, value, attrs, empty_label):
    """A <select> of every country, rendered once per language, value and attributes and then remembered: through
    the template engine, 250 options were the most expensive part of every view of the sign form and of the list."""
    value = "" if value is None else str(value)
    return _country_menu_html(get_language(), name, value, tuple(sorted(attrs.items())), str(empty_label))


class CountrySelect(forms.Select):
    """The forms' country menu, through country_menu()."""

    def render(self, name, value, attrs=None, renderer=None):
        return country_menu(name=name, value=value, attrs=self.build_attrs(self.attrs, attrs), empty_label=gettext("—"))


class _CountryChoiceField(forms.ChoiceField):
    def valid_value(self, value):
        # A code lookup, rather than walking 250 translated names to find it.
        return value in countries


def country_field():
    return _CountryChoiceField(
        label=_("Country (optional)"),
        required=False,
        choices=COUNTRY_CHOICES,
        widget=CountrySelect(attrs={"autocomplete": "country"}),
    )


# What browsers and password managers fill in (WCAG 2.2 SC 1.3.5), and the keyboard a phone shows.
NAME_INPUT = {"autocomplete": "name", "autocapitalize": "words", "spellcheck": "false"}
EMAIL_INPUT = {"autocomplete": "email", "autocapitalize": "off", "spellcheck": "false"}
URL_INPUT = {"autocomplete": "url", "autocapitalize": "off", "spellcheck": "false"}


CONSENT_TEXT = _(
    "I agree that the Creators Coalition on AI stores my name, email address and the details above "
    "to confirm my signature and, if I choose, show my name on the public list; my email address is never published."
)


# Joiners that emoji sequences and several scripts (Persian, Indic) need inside names.
_ALLOWED_FORMAT_CHARS = {"\u200c", "\u200d"}
_REFUSED_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}
# Letters, marks and symbols that draw nothing: a name made of them shows as a blank on the public list.
_BLANK_CHARS = {
    "\u034f",  # combining grapheme joiner
    "\u115f",  # Hangul choseong filler
    "\u1160",  # Hangul jungseong filler
    "\u17b4",  # Khmer vowel inherent aq
    "\u17b5",  # Khmer vowel inherent aa
    "\u2800",  # Braille pattern blank
    "\u3164",  # Hangul filler
    "\uffa0",  # halfwidth Hangul filler
    "\U0001d159",  # musical symbol null notehead
}


def _is_variation_selector(char):
    return "\ufe00" <= char <= "\ufe0f" or "\U000e0100" <= char <= "\U000e01ef"


def _refuse_hidden_chars(value, *, in_link=False):
    """Refuse a character of `value` that could hide or disguise text. A link gets no joiners or variation
    selectors either: names need them, an address never does (pay\u200dpal.com)."""
    for char in value:
        if (
            char == "\ufffd"
            or char in _BLANK_CHARS
            or (unicodedata.category(char) in _REFUSED_CATEGORIES and (in_link or char not in _ALLOWED_FORMAT_CHARS))
            or (in_link and _is_variation_selector(char))
        ):
            raise forms.ValidationError(
                _("Please remove invisible or control characters (U+%(code)04X).") % {"code": ord(char)}
            )


def clean_display_text(value):
    """Text shown publicly as typed, minus what could hide or disguise it: control and format characters
    (bidi overrides, zero-width spaces), characters that draw nothing, replacement characters from broken
    encodings, unassigned code points."""
    _refuse_hidden_chars(value)
    if value and not any(unicodedata.category(c)[0] in "LNS" for c in value):
        raise forms.ValidationError(_("Please enter some letters."))
    return value


def clean_email_address(raw):
    """One address check for every form (and allauth's): normalised as signatures store it, or a clear error."""
    try:
        return email_normalise(raw)
    except ValueError:
        # email-validator explains in English only; one clear sentence reads well in every language.
        raise forms.ValidationError(_("Enter a valid email address, like name@example.org.")) from None


class HttpURLField(forms.URLField):
    default_validators = [URLValidator(schemes=["http", "https"])]

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        parts = urlsplit(value)
        if parts.username or parts.password:
            raise forms.ValidationError(_("Please remove the user name or password from the link."))
        try:
            parts.port  # noqa: B018 -- raises for a port out of range
        except ValueError:
            raise forms.ValidationError(_("Enter a valid URL.")) from None
        # Published as a link: a bidi override or a zero-width space would make it read as another address.
        _refuse_hidden_chars(value, in_link=True)
        return value


class TickBox(forms.CheckboxInput):
    """A checkbox that only a tick fills. Django's takes any value but "false" as ticked; a hand-made POST with
    "0", "off" or "no" is not consent either."""

    NOT_TICKED = {"", "0", "false", "off", "no", "n"}

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        if isinstance(value, str) and value.strip().lower() in self.NOT_TICKED:
            return False
        return super().value_from_datadict(data, files, name)


class SignForm(forms.Form):
    name = forms.CharField(
        label=_("Full name"),
        max_length=Signature._meta.get_field("name").max_length,
        validators=[validate_person_name],
        widget=forms.TextInput(attrs=NAME_INPUT),
    )
    # Checked by email_normalise (email-validator), which knows internationalised domains Django's field refuses.
    email = forms.CharField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs=EMAIL_INPUT),
        help_text=_("We send you a link to confirm. Never shown publicly."),
    )
    # Right under the address it is about: shown only with a "did you mean" hint.
    keep_email = forms.BooleanField(label=_("Yes, my address is spelled right"), required=False, widget=TickBox)
    craft = forms.ChoiceField(label=_("Your craft"), choices=[("", _("Choose your craft"))] + Craft.choices)
    affiliation = forms.CharField(
        label=_("Affiliation (optional)"),
        required=False,
        max_length=200,
        # The craft is chosen above: this is what it does not say (listed as "Actor · SAG-AFTRA").
        help_text=_('Your union, guild, studio or show, for example "SAG-AFTRA". Your craft is already listed.'),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    country = country_field()
    profile_url = HttpURLField(
        label=_("Link to your work (optional)"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("A web page that shows who you are: http or https only."),
        widget=forms.URLInput(attrs=URL_INPUT),
    )
    public = forms.BooleanField(
        label=_("Show my name on the public list"), required=False, initial=True, widget=TickBox
    )
    consent = forms.BooleanField(
        label=CONSENT_TEXT, error_messages={"required": _("Please tick this box to sign.")}, widget=TickBox
    )
    # Honeypot: hidden from people (CSS and aria-hidden), filled in by bots.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    # A plain Field: clean_started judges every value, a NUL byte included (CharField would answer with a
    # message about null characters in a field the person cannot see, and not re-issue it).
    started = forms.Field(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound and self.data.get("use_email"):
            # The one-tap "Use name@gmail.com" under a typo hint: that address, checked like a typed one.
            self.data = self.data.copy()
            self.data["email"] = self.data["use_email"]
        # Signed when the form is shown, not when a POST builds it only to read it.
        self.fields["started"].initial = started_token
        self.email_suggestion = None

    @property
    def is_bot(self):
        return bool(self.is_bound and self.data.get("website"))

    def visible_sign_fields(self):
        hidden = {"website", "keep_email"} if self.email_suggestion is None else {"website"}
        return [field for field in self.visible_fields() if field.name not in hidden]

    def clean_started(self):
        started = self.cleaned_data.get("started")
        try:
            if not isinstance(started, str):  # absent from the POST
                raise signing.BadSignature
            self.started_at = int(
                signing.TimestampSigner(salt=_STARTED_SALT).unsign(started, max_age=settings.SIGN_FORM_MAX_AGE)
            )
        except (signing.BadSignature, ValueError):
            self._refresh_started()
            raise forms.ValidationError(
                _("This form is too old or incomplete. Please check your details and submit again.")
            ) from None
        if time.time() - self.started_at < settings.SIGN_MIN_SECONDS:
            raise forms.ValidationError(_("That was very quick! Please check your details and submit again."))
        return self.cleaned_data["started"]

    def _refresh_started(self):
        self.data = self.data.copy()
        self.data["started"] = started_token()

    def clean_name(self):
        return clean_display_text(self.cleaned_data["name"])

    def clean_affiliation(self):
        return clean_display_text(self.cleaned_data["affiliation"])

    def clean_email(self):
        email = clean_email_address(self.cleaned_data["email"])
        # Typo domains are often disposable catch-alls too: offer the correction first.
        suggestion = email_suggestion(email)
        if suggestion and not self.data.get("keep_email"):
            self.email_suggestion = suggestion
            raise forms.ValidationError(
                format_html(
                    _("Did you mean <strong>{}</strong>? Correct it, or tick “Yes, my address is spelled right”."),
                    suggestion,
                )
            )
        if email_is_disposable(email):
            raise forms.ValidationError(
                _("Please use a permanent email address: we cannot confirm signatures from disposable mail services.")
            )
        return email


class OrganisationForm(forms.Form):
    name = forms.CharField(
        label=_("Organisation name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "organization"})
    )
    kind = forms.ChoiceField(label=_("It is a"), choices=[("", _("Choose one"))] + Organisation.Kind.choices)
    website = HttpURLField(
        label=_("Its website"),
        max_length=500,
        assume_scheme="https",
        help_text=_("http or https only."),
        widget=forms.URLInput(attrs=URL_INPUT),
    )
    country = country_field()
    contact_name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        help_text=_("Never shown publicly."),
        validators=[validate_person_name],
        widget=forms.TextInput(attrs=NAME_INPUT),
    )
    contact_email = forms.CharField(
        label=_("Your email address at the organisation"),
        max_length=254,
        widget=forms.EmailInput(attrs={**EMAIL_INPUT, "autocomplete": "work email"}),
        help_text=_(
            "Never shown publicly. An address on the organisation's own domain lets our organisers verify it quickly."
        ),
    )
    authority = forms.BooleanField(
        label=_("I am authorised to endorse the letter on behalf of this organisation."),
        widget=TickBox,
        error_messages={"required": _("Please confirm you may speak for the organisation.")},
    )

    def clean_name(self):
        return clean_display_text(self.cleaned_data["name"])

    def clean_contact_name(self):
        return clean_display_text(self.cleaned_data["contact_name"])

    def clean_contact_email(self):
        email = clean_email_address(self.cleaned_data["contact_email"])
        if email_is_disposable(email):
            raise forms.ValidationError(_("Please use a permanent email address."))
        return email
