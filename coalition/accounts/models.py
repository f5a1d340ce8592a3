import hashlib
import hmac

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

BIO_MAX_LENGTH = 500


class MemberProfile(models.Model):
    """What a member tells the coalition about themselves. The bio is public; the rest is not displayed publicly."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member_profile")
    crafts = models.JSONField(default=list, blank=True, help_text=_("Craft slugs (see signatures.Craft)."))
    union = models.CharField(_("union or guild"), max_length=200, blank=True)
    country = CountryField(blank=True)
    bio = models.TextField(max_length=BIO_MAX_LENGTH, blank=True, help_text=_("Plain text, shown as typed."))
    # Consent to coalition updates: the words agreed to and when; revoking keeps the record.
    updates_consent_text = models.TextField(blank=True)
    updates_consented_at = models.DateTimeField(null=True, blank=True)
    updates_revoked_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(updates_consented_at__isnull=True) | ~models.Q(updates_consent_text=""),
                name="memberprofile_consent_has_text",
            )
        ]

    def __str__(self):
        return f"profile of user {self.user_id}"

    @property
    def wants_updates(self):
        return self.updates_consented_at is not None and self.updates_revoked_at is None


def address_key(email):
    """A keyed hash of an address: what an unsubscribe link and an opt-out carry instead of the address."""
    return hmac.new(settings.SECRET_KEY.encode(), email.lower().encode(), hashlib.sha256).hexdigest()[:24]


class UpdatesOptOut(models.Model):
    """An address whose mail's one-click unsubscribe was used. Mails sent before the address belonged to a member
    name the address only (as a keyed hash: the link never carries it), so the opt-out is kept by address and
    applied to whichever member holds that address, now or later."""

    address_key = models.CharField(max_length=24, unique=True)
    created_at = models.DateTimeField()

    def __str__(self):
        return f"opt-out {self.address_key[:6]}…"
