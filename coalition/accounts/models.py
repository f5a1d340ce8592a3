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


class CoalitionUpdate(models.Model):
    """News organisers send to the members who asked for it (consent on their profile), once, from the admin."""

    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"), help_text=_("Plain text; a blank line starts a new paragraph."))
    subject_fr = models.CharField(_("subject in French"), max_length=200, blank=True)
    body_fr = models.TextField(
        _("text in French"), blank=True, help_text=_("Members who signed in French get this; empty: the English.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, editable=False, related_name="+"
    )
    recipients = models.PositiveIntegerField(default=0, editable=False)
    # Set once every recipient's mail is in the outbox; until then, sending again resumes where it stopped.
    queued_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("coalition update")

    def __str__(self):
        return self.subject

    def text(self, language):
        """(subject, body) in `language` when written in it, else in English."""
        if language == "fr" and self.subject_fr and self.body_fr:
            return self.subject_fr, self.body_fr
        return self.subject, self.body
