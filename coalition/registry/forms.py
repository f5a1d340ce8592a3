from django import forms
from django.utils.translation import gettext_lazy

from .models import CONTACT_MAX_LENGTH, Place, Stance, TrainingScope

STANCE_HELP = gettext_lazy("Licensed on request: AI companies must ask you first, through the contact below.")


class PlaceForm(forms.Form):
    url = forms.CharField(
        label=gettext_lazy("Address of your channel, site, feed or profile"),
        max_length=500,
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "url", "spellcheck": "false"}),
        help_text=gettext_lazy("For a domain proven by DNS, the domain name alone, e.g. example.org."),
    )
    method = forms.ChoiceField(label=gettext_lazy("How to prove it is yours"), choices=Place.Method.choices)


class DeclarationForm(forms.Form):
    training = forms.ChoiceField(
        label=gettext_lazy("AI training"), choices=Stance.choices, widget=forms.RadioSelect, help_text=STANCE_HELP
    )
    training_scope = forms.ChoiceField(
        label=gettext_lazy("Which AI training"), choices=TrainingScope.choices, widget=forms.RadioSelect
    )
    search = forms.ChoiceField(label=gettext_lazy("Search indexing"), choices=Stance.choices, widget=forms.RadioSelect)
    tdm = forms.ChoiceField(
        label=gettext_lazy("Other text and data mining"), choices=Stance.choices, widget=forms.RadioSelect
    )
    licensing_contact = forms.CharField(
        label=gettext_lazy("Licensing contact (a web page or an email address)"),
        max_length=CONTACT_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )
    contact_public = forms.BooleanField(
        label=gettext_lazy("Show the licensing contact on my public declaration"), required=False
    )
    places = forms.MultipleChoiceField(
        label=gettext_lazy("Places it covers"),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Only places proven to be yours can be chosen."),
    )

    def __init__(self, *args, places=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["places"].choices = [(str(p.pk), p.url) for p in places if p.verified]
