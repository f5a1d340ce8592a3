from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.utils.translation import gettext as _

from coalition.signatures.services import email_normalise


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email):
        """Accounts use the addresses signatures use: one normalisation, so a signer's account finds their signature."""
        email = super().clean_email(email)
        try:
            return email_normalise(email)
        except ValueError as exc:
            raise forms.ValidationError(_("Enter a valid email address: %(reason)s") % {"reason": exc}) from None
