from itertools import product
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from . import names
from .mailboxes import mailbox_key
from .validators import validate_person_name


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


# The one definition of which signatures count and which are on the public list: the querysets below, the counters
# (Signature.LISTED_STATUSES) and the partial indexes that serve the list all read it from here.
COUNTED_STATUSES = ["confirmed", "verified"]
COUNTED = models.Q(status__in=COUNTED_STATUSES)
# As keyword lookups, so that a narrower condition (the notable section's index) extends it rather than restating it.
PUBLICLY_LISTED_LOOKUPS = {"status__in": COUNTED_STATUSES, "public": True}
PUBLICLY_LISTED = models.Q(**PUBLICLY_LISTED_LOOKUPS)


class SignatureQuerySet(models.QuerySet):
    def counted(self):
        """Signatures that count towards the totals: confirmed or verified, whether or not the name is shown."""
        return self.filter(COUNTED)

    def publicly_listed(self):
        """The single definition of what press and the public may see."""
        return self.filter(PUBLICLY_LISTED)


class Signature(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        VERIFIED = "verified", _("Verified")
        HELD = "held", _("Held for review")
        REJECTED = "rejected", _("Rejected")
        FRAUDULENT = "fraudulent", _("Fraudulent")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class VerificationMethod(models.TextChoices):
        KNOWN_PERSONALLY = "known_personally", _("Known personally")
        UNION_CONFIRMED = "union_confirmed", _("Union or guild confirmed")
        PROFILE_CHECKED = "profile_checked", _("Profile link checked")

    class ReviewReason(models.TextChoices):
        # Many signatures from one place in a short time: often a meeting on one Wi-Fi or a carrier's shared
        # address, sometimes a script. Accepted, and read by an organiser before it is listed.
        BUSY_NETWORK = "busy network", _("busy network")
        BUSY_DOMAIN = "busy email domain", _("busy email domain")

    LISTED_STATUSES = tuple(map(Status, COUNTED_STATUSES))
    # The only moves a signature can make; signature_transition refuses every other.
    TRANSITIONS = {
        Status.PENDING: {Status.CONFIRMED, Status.HELD, Status.REJECTED, Status.FRAUDULENT},
        Status.CONFIRMED: {Status.VERIFIED, Status.HELD, Status.REJECTED, Status.FRAUDULENT, Status.WITHDRAWN},
        Status.HELD: {Status.CONFIRMED, Status.REJECTED, Status.FRAUDULENT, Status.WITHDRAWN},
        Status.VERIFIED: {Status.CONFIRMED, Status.HELD, Status.REJECTED, Status.FRAUDULENT, Status.WITHDRAWN},
        # An organiser's mistake can be undone, back to where the signature was; a withdrawal cannot.
        Status.REJECTED: {Status.PENDING, Status.CONFIRMED, Status.VERIFIED, Status.HELD},
        Status.FRAUDULENT: {Status.PENDING, Status.CONFIRMED, Status.VERIFIED, Status.HELD},
        # Only the signer's own change of mind, within settings.WITHDRAWAL_UNDO (moderation.signature_undo_withdrawal).
        Status.WITHDRAWN: {Status.CONFIRMED, Status.HELD},
    }
    # Edges only one road may take: the signer's own email confirmation, the second organiser's approval,
    # or the undo of a rejection (back to the state recorded before it).
    GUARDED = {
        (Status.PENDING, Status.CONFIRMED): "signer",
        (Status.PENDING, Status.HELD): "signer",
        (Status.HELD, Status.CONFIRMED): "approval",
        (Status.WITHDRAWN, Status.CONFIRMED): "signer",
        (Status.WITHDRAWN, Status.HELD): "signer",
        **dict.fromkeys(product((Status.REJECTED, Status.FRAUDULENT), Status), "undo"),
    }

    letter = models.ForeignKey("letters.Letter", on_delete=models.PROTECT, related_name="signatures")
    letter_version = models.ForeignKey(
        "letters.LetterVersion",
        on_delete=models.PROTECT,
        related_name="signatures",
        help_text=_("The exact words this person signed."),
    )
    name = models.CharField(max_length=200, validators=[validate_person_name])
    email = models.EmailField(max_length=254, help_text=_("Normalised. Not displayed publicly."))
    craft = models.CharField(max_length=20, choices=Craft.choices)
    affiliation = models.CharField(max_length=200, blank=True)
    country = CountryField(blank=True)
    profile_url = models.URLField(max_length=500, blank=True)
    public = models.BooleanField(default=True, help_text=_("Show the name on the public list."))
    language = models.CharField(max_length=8, default="en")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    consent_text = models.TextField(help_text=_("The consent sentence the signer ticked, as shown."))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    email_domain = models.CharField(max_length=254, editable=False, db_index=True, default="")
    # One signature per inbox: john.doe@gmail.com, johndoe+x@googlemail.com and johndoe@gmail.com share this key.
    mailbox_key = models.CharField(max_length=254, editable=False, default="")
    # What the name looks like (names.name_skeleton): a name added to the watchlist finds look-alikes signed before.
    name_skeleton = models.CharField(max_length=200, editable=False, default="")
    ip_prefix_hash = models.CharField(
        max_length=16, blank=True, db_index=True, help_text=_("Keyed hash of the signer's /24 (IPv4) or /48 (IPv6).")
    )
    notable = models.BooleanField(default=False, help_text=_("Shown first, in its own section of the list."))
    initiator = models.BooleanField(
        default=False, help_text=_("Shown at the top of the letter among its initiators (verified signatures only).")
    )
    verification_method = models.CharField(max_length=20, choices=VerificationMethod.choices, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    channel_verified_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the signer last proved they run the channel they link to.")
    )
    review_reason = models.CharField(
        max_length=40,
        choices=ReviewReason.choices,
        blank=True,
        help_text=_("Why this signature waits for an organiser once confirmed. Not displayed publicly."),
    )
    mails_sent = models.PositiveSmallIntegerField(
        default=0, help_text=_("Mails queued for this signature, capped against mail-bombing.")
    )

    objects = SignatureQuerySet.as_manager()

    class Meta:
        ordering = ["-confirmed_at", "-id"]
        permissions = [
            ("moderate_signature", "Can moderate signatures"),
            ("export_signature", "Can export signatures with email addresses"),
            ("approve_signature", "Can approve held signatures (one of the two approvals)"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["letter", "mailbox_key"], name="signature_unique_mailbox_per_letter"),
            models.CheckConstraint(
                condition=~models.Q(status__in=["confirmed", "verified", "held"])
                | models.Q(confirmed_at__isnull=False),
                name="signature_confirmed_has_timestamp",
            ),
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="signature_email_lowercase"),
        ]
        indexes = [
            # The public list, newest first, paged by keyset: an index-only range scan at any depth.
            models.Index(
                fields=["letter", "-confirmed_at", "-id"],
                condition=PUBLICLY_LISTED,
                name="signature_listed_keyset",
            ),
            # Filtering the list by country or by verified, still newest first by keyset.
            models.Index(
                fields=["letter", "country", "-confirmed_at", "-id"],
                condition=PUBLICLY_LISTED,
                name="signature_listed_country",
            ),
            models.Index(
                fields=["letter", "status", "-confirmed_at", "-id"],
                condition=PUBLICLY_LISTED,
                name="signature_listed_status",
            ),
            # The notable section: a few dozen rows, which the keyset index above would find only by reading it all.
            models.Index(
                fields=["letter", "-confirmed_at", "-id"],
                condition=models.Q(**PUBLICLY_LISTED_LOOKUPS, notable=True),
                name="signature_notable_keyset",
            ),
            models.Index(fields=["craft", "status"], name="signature_craft_status"),
            # The list sorted by name, paged by keyset like the newest-first one.
            models.Index(fields=["letter", "name", "id"], condition=PUBLICLY_LISTED, name="signature_listed_name"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.derive()
        super().save(*args, **kwargs)

    def derive(self):
        """The columns kept from the address and the name; save() sets them, and so must a bulk_create."""
        self.email_domain = self.email.rpartition("@")[2]
        self.name_skeleton = names.name_skeleton(self.name)
        if not self.mailbox_key:
            # Set once: a signature kept from before keys existed may hold its address as its key (migration 0017).
            self.mailbox_key = mailbox_key(self.email)

    @property
    def is_listed(self):
        """On the public list now (if public): confirmed or verified."""
        return self.status in self.LISTED_STATUSES

    @property
    def craft_label(self):
        # Not get_craft_display(): that hashes every choice, translating all ten labels for each row of a list.
        return Craft(self.craft).label


class SignatureCount(models.Model):
    """Counted signatures per letter and craft, kept in step by every state change, so that no page ever counts
    the signatures table. `reconcile_signature_counts` recounts and repairs any drift."""

    letter = models.ForeignKey("letters.Letter", on_delete=models.CASCADE, related_name="+")
    craft = models.CharField(max_length=20, choices=Craft.choices)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["letter", "craft"], name="signaturecount_letter_craft")]

    def __str__(self):
        return f"{self.craft}: {self.n}"


class ListSnapshot(models.Model):
    """The public list as it stood on one day, kept as a CSV file with its SHA-256, so that the press can cite
    "the list as of" that day and anyone can check a copy was not altered. Never changed once taken.

    Each snapshot also records the SHA-256 of the snapshot before it (`prev_sha256`): the days form a chain, so a
    day removed or inserted afterwards no longer links to its neighbours (`manage.py verify_snapshots`)."""

    letter = models.ForeignKey("letters.Letter", on_delete=models.PROTECT, related_name="+")
    day = models.DateField(help_text=_("The day (UTC) the snapshot was taken."))
    taken_at = models.DateTimeField()
    rows = models.PositiveIntegerField(help_text=_("Signatories in the file, not counting the header line."))
    size = models.PositiveBigIntegerField(help_text=_("Bytes."))
    sha256 = models.CharField(max_length=64)
    prev_sha256 = models.CharField(
        max_length=64,
        blank=True,
        help_text=_("The SHA-256 of the latest earlier snapshot of the letter; empty for the first."),
    )
    file = models.FileField(upload_to="snapshots/", max_length=300)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["letter", "day"], name="listsnapshot_one_per_day")]

    def __str__(self):
        return f"list as of {self.day}"


class Submission(models.Model):
    """A sign form submission waiting for the worker, which decides whether it is a new signature or an inbox that
    already signed, and mails accordingly (services.submission_process). Every submission costs the request the same
    one INSERT, so how long the answer takes does not tell whether an address has signed. Deleted once processed."""

    # What a signature is made of; the rest (keys, counters, states) the signature works out itself.
    SIGNATURE_FIELDS = (
        "letter",
        "letter_version",
        "name",
        "email",
        "craft",
        "affiliation",
        "country",
        "profile_url",
        "public",
        "language",
        "consent_text",
        "ip_prefix_hash",
        "review_reason",
    )

    letter = models.ForeignKey("letters.Letter", on_delete=models.CASCADE, related_name="+")
    letter_version = models.ForeignKey("letters.LetterVersion", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    craft = models.CharField(max_length=20, choices=Craft.choices)
    affiliation = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=2, blank=True)
    profile_url = models.URLField(max_length=500, blank=True)
    public = models.BooleanField(default=True)
    language = models.CharField(max_length=8, default="en")
    consent_text = models.TextField()
    ip_prefix_hash = models.CharField(max_length=16, blank=True)
    review_reason = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self):
        return f"submission {self.pk}"


class NotableName(models.Model):
    """A famous name whose signatures are held until two organisers approve them."""

    name = models.CharField(max_length=200)
    key = models.CharField(max_length=200, unique=True, editable=False)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.key = names.name_key(self.name)
        super().save(*args, **kwargs)


class Approval(models.Model):
    """One organiser's approval of a held signature; two different organisers release it."""

    signature = models.ForeignKey("Signature", on_delete=models.CASCADE, related_name="approvals")
    # PROTECT: deactivate organisers rather than delete them, so that who approved stays known.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["signature", "user"], name="approval_once_per_organiser")]

    def __str__(self):
        return f"approval of signature {self.signature_id} by user {self.user_id}"


class AuditEvent(models.Model):
    """Who did what, when and why: every moderation move and every export. Never edited."""

    class Action(models.TextChoices):
        TRANSITION = "transition", _("State change")
        APPROVAL = "approval", _("Approval")
        NOTABLE = "notable", _("Notable flag")
        WATCHLIST = "watchlist", _("Watchlist change")
        EXPORT = "export", _("Export")
        EDIT = "edit", _("Changed by the signer")
        ORGANISATION = "organisation", _("Organisation endorsement")

    action = models.CharField(max_length=20, choices=Action.choices)
    signature = models.ForeignKey(
        "Signature", null=True, blank=True, on_delete=models.CASCADE, related_name="audit_events"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_action_display()} {self.from_status}→{self.to_status}"


class ConfirmationToken(models.Model):
    """A link sent by mail. Only the SHA-256 of the token is stored."""

    signature = models.ForeignKey(Signature, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"token for signature {self.signature_id}"


class OrganisationQuerySet(models.QuerySet):
    def publicly_listed(self):
        """Organisations an organiser has verified: the only ones the public sees."""
        return self.filter(status=Organisation.Status.VERIFIED)


class Organisation(models.Model):
    """A union, guild or studio endorsing the letter as a body. Listed once an organiser has verified that the
    person who asked speaks for it (for example, that the contact address is on the organisation's own domain)."""

    class Kind(models.TextChoices):
        UNION = "union", _("Union")
        GUILD = "guild", _("Guild")
        STUDIO = "studio", _("Studio or production company")
        OTHER = "other", _("Other organisation")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an organiser")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")

    letter = models.ForeignKey("letters.Letter", on_delete=models.PROTECT, related_name="organisations")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    website = models.URLField(max_length=500)
    country = CountryField(blank=True)
    contact_name = models.CharField(max_length=200, help_text=_("Not displayed publicly."))
    contact_email = models.EmailField(max_length=254, help_text=_("Normalised. Not displayed publicly."))
    contact_domain = models.CharField(max_length=254, editable=False, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    # Whoever typed the contact address may not own it: a link mailed there proves the contact reads it.
    contact_confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the contact clicked the link mailed to their address.")
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["letter", "contact_email", "name"], name="organisation_unique_per_contact_and_name"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="verified") | models.Q(verified_at__isnull=False),
                name="organisation_verified_has_timestamp",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.contact_domain = self.contact_email.rpartition("@")[2]
        super().save(*args, **kwargs)

    @property
    def website_domain(self):
        host = (urlsplit(self.website).hostname or "").lower()
        return host.removeprefix("www.")

    @property
    def domain_matches(self):
        """The contact address is on the website's domain (or a subdomain of it): the usual proof."""
        site, mail = self.website_domain, self.contact_domain
        return bool(site) and (mail == site or mail.endswith("." + site) or site.endswith("." + mail))


class ChannelProof(models.Model):
    """A creator's proof that they run a channel: the token we gave them, found at the URL they named."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a check")
        VERIFIED = "verified", _("Channel verified")
        FAILED = "failed", _("Token not found")

    signature = models.OneToOneField(Signature, on_delete=models.CASCADE, related_name="channel_proof")
    url = models.URLField(max_length=500)
    token = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    checked_at = models.DateTimeField(null=True, blank=True, db_index=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    def __str__(self):
        return f"channel proof for signature {self.signature_id}"
