from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


class Craft(models.TextChoices):
    ACTOR = "actor", _("Actor")
    DIRECTOR = "director", _("Director")
    WRITER = "writer", _("Writer")
    YOUTUBER = "youtuber", _("YouTuber")
    PODCASTER = "podcaster", _("Podcaster")
    NEWSLETTER = "newsletter", _("Newsletter author")
    TECHNICIAN = "technician", _("Film or TV technician")
    MUSICIAN = "musician", _("Musician")
    VISUAL_ARTIST = "visual-artist", _("Visual artist")
    OTHER = "other", _("Other creator")


class SignatureQuerySet(models.QuerySet):
    def counted(self):
        """Signatures that count towards the totals: confirmed, whether or not the name is shown."""
        return self.filter(status=Signature.Status.CONFIRMED)

    def publicly_listed(self):
        """The single definition of what press and the public may see."""
        return self.counted().filter(public=True)


class Signature(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending confirmation")
        CONFIRMED = "confirmed", _("Confirmed")

    letter = models.ForeignKey("letters.Letter", on_delete=models.PROTECT, related_name="signatures")
    letter_version = models.ForeignKey(
        "letters.LetterVersion",
        on_delete=models.PROTECT,
        related_name="signatures",
        help_text=_("The exact words this person signed."),
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254, help_text=_("Normalised. Not displayed publicly."))
    craft = models.CharField(max_length=20, choices=Craft.choices)
    affiliation = models.CharField(max_length=200, blank=True)
    country = CountryField(blank=True)
    profile_url = models.URLField(max_length=500, blank=True)
    public = models.BooleanField(default=True, help_text=_("Show the name on the public list."))
    language = models.CharField(max_length=8, default="en")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    consent_text = models.TextField(help_text=_("The consent sentence the signer ticked, as shown."))
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    mails_sent = models.PositiveSmallIntegerField(
        default=0, help_text=_("Mails queued for this signature, capped against mail-bombing.")
    )

    objects = SignatureQuerySet.as_manager()

    class Meta:
        ordering = ["-confirmed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["letter", "email"], name="signature_unique_email_per_letter"),
            models.CheckConstraint(
                condition=~models.Q(status="confirmed") | models.Q(confirmed_at__isnull=False),
                name="signature_confirmed_has_timestamp",
            ),
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="signature_email_lowercase"),
        ]
        indexes = [
            models.Index(fields=["letter", "status", "public", "-confirmed_at"], name="signature_public_list"),
            models.Index(fields=["craft", "status"], name="signature_craft_status"),
        ]

    def __str__(self):
        return self.name


class ConfirmationToken(models.Model):
    """A link sent by mail. Only the SHA-256 of the token is stored."""

    signature = models.ForeignKey(Signature, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"token for signature {self.signature_id}"
