"""The consent registry: what a member says about AI use of their work, and the places it covers.

A declaration belongs to a confirmed signature (signing is the membership's proof of identity); every change is a new
DeclarationVersion, kept, like the letter's versions. The current stance is copied onto the Declaration so that the
registry's API filters on indexed columns. Places are proven the way a channel is: a token the member puts where
only the owner of the place can.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from coalition.signatures.models import Signature

CONTACT_MAX_LENGTH = 300


class Stance(models.TextChoices):
    RESERVED = "reserved", _("Reserved (no)")
    LICENSED = "licensed", _("Licensed on request")
    ALLOWED = "allowed", _("Allowed")


class TrainingScope(models.TextChoices):
    ALL = "all", _("All AI training")
    GENERATIVE = "generative", _("Generative AI only")


# The uses a member takes a stance on, in the order the form and the pages show them.
USES = ("training", "search", "tdm")
USE_LABELS = {"training": _("AI training"), "search": _("Search indexing"), "tdm": _("Other text and data mining")}


class Place(models.Model):
    """A channel or site the member proved is theirs, and so may declare for."""

    class Method(models.TextChoices):
        PAGE = "page", _("Text on a page")
        REL_ME = "rel-me", _('rel="me" link (Mastodon and the fediverse)')
        PODCAST = "podcast", _("Podcast feed (podcast:txt)")
        DNS = "dns", _("Domain (DNS TXT record)")
        BLUESKY = "bluesky", _("Bluesky profile")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a check")
        VERIFIED = "verified", _("Proven")
        FAILED = "failed", _("Not proven")

    signature = models.ForeignKey(Signature, on_delete=models.CASCADE, related_name="registry_places")
    url = models.URLField(max_length=500)
    # What the place covers (coverage.py): its host (lower case, punycode, no "www.") and path key, or "*" for a
    # whole domain proven by DNS. A lookup of any URL matches these by equality.
    host = models.CharField(max_length=260)
    path = models.CharField(max_length=600, blank=True)
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.PAGE)
    # Not unique: a channel proven on the signature page keeps its token when it becomes a place.
    token = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    checked_at = models.DateTimeField(null=True, blank=True, db_index=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["signature", "host", "path"], name="registry_place_once_per_member")
        ]
        indexes = [models.Index(fields=["host", "path"], name="registry_place_coverage")]
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.url

    @property
    def verified(self):
        return self.status == self.Status.VERIFIED


class DeclarationQuerySet(models.QuerySet):
    def published(self):
        """The single definition of what the public registry shows: a current declaration, not hidden by an
        organiser, of a signature that is itself on the public list."""
        return self.filter(
            version__gt=0,
            withdrawn_at__isnull=True,
            hidden_at__isnull=True,
            signature__status__in=Signature.LISTED_STATUSES,
            signature__public=True,
        )


class Declaration(models.Model):
    signature = models.OneToOneField(Signature, on_delete=models.CASCADE, related_name="registry_declaration")
    # The stable public address: /registry/<public_id>/. Not the signature's id, which says how many signed before.
    public_id = models.CharField(max_length=16, unique=True)
    version = models.PositiveIntegerField(default=0)
    training = models.CharField(max_length=10, choices=Stance.choices, db_index=True)
    training_scope = models.CharField(max_length=10, choices=TrainingScope.choices, default=TrainingScope.ALL)
    search = models.CharField(max_length=10, choices=Stance.choices)
    tdm = models.CharField(_("other text and data mining"), max_length=10, choices=Stance.choices)
    licensing_contact = models.CharField(max_length=CONTACT_MAX_LENGTH, blank=True)
    contact_public = models.BooleanField(default=False)
    places = models.ManyToManyField(Place, blank=True, related_name="declarations")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True, editable=False)
    hidden_reason = models.TextField(blank=True, editable=False)
    # The last check of the member's own site (checks.site_check): {"checked_at", "ok", "results": [...]}.
    site_check = models.JSONField(default=dict, blank=True, editable=False)
    site_checked_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)

    objects = DeclarationQuerySet.as_manager()

    class Meta:
        permissions = [("hide_declaration", "Can hide an abusive declaration from the public registry")]

    def __str__(self):
        return f"declaration {self.public_id}"

    def stances(self):
        return {**{use: getattr(self, use) for use in USES}, "training_scope": self.training_scope}

    def current_site_check(self):
        """The last reading of the member's site, if it was for this version; {} otherwise (not read yet, or read
        for what the member declared before)."""
        check = self.site_check or {}
        return check if check.get("version") == self.version else {}


class DeclarationVersion(models.Model):
    """One state of a declaration, as it was published from `created_at` until the next one. Never edited."""

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    training = models.CharField(max_length=10, choices=Stance.choices, blank=True)
    training_scope = models.CharField(max_length=10, choices=TrainingScope.choices, blank=True)
    search = models.CharField(max_length=10, choices=Stance.choices, blank=True)
    tdm = models.CharField(max_length=10, choices=Stance.choices, blank=True)
    licensing_contact = models.CharField(max_length=CONTACT_MAX_LENGTH, blank=True)
    contact_public = models.BooleanField(default=False)
    place_urls = models.JSONField(default=list)
    withdrawn = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["declaration", "number"], name="registry_version_number_once")]

    def __str__(self):
        return f"version {self.number} of {self.declaration_id}"


class DeclarationAudit(models.Model):
    """An organiser hid or showed a declaration again. Never edited."""

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=10)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.action} {self.declaration_id}"
