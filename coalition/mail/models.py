from django.db import models
from django.utils.translation import gettext_lazy as _


class OutgoingMail(models.Model):
    """The outbox: a mail we owe someone, written in the same transaction as the reason for it.

    The row, not the broker message, is the source of truth: a task that runs
    twice finds the row sent and does nothing; a message the broker lost is
    found again by the periodic job.
    """

    class Kind(models.TextChoices):
        SIGNATURE_CONFIRMATION = "signature_confirmation", _("Signature confirmation")
        ALREADY_SIGNED = "already_signed", _("Already signed notice")
        ORGANISATION_CONFIRMATION = "organisation_confirmation", _("Organisation contact confirmation")
        # Rendered when queued (allauth's sign-in codes and links live in the session, not in our tables);
        # the rendered text is erased once sent.
        ACCOUNT = "account", _("Account mail (sign-in code, address verification)")
        COALITION_UPDATE = "coalition_update", _("Coalition update (to members who asked for them)")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed (gave up)")

    kind = models.CharField(max_length=40, choices=Kind.choices)
    to = models.EmailField(max_length=254)
    language = models.CharField(max_length=8, default="en")
    signature = models.ForeignKey(
        "signatures.Signature", null=True, blank=True, on_delete=models.CASCADE, related_name="mails"
    )
    organisation = models.ForeignKey(
        "signatures.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="mails"
    )
    update = models.ForeignKey(
        "accounts.CoalitionUpdate", null=True, blank=True, on_delete=models.CASCADE, related_name="mails"
    )
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField(blank=True, help_text=_("Only for mails rendered when queued; erased once sent."))
    body_html = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Not before: a mail the server refused for now waits out its backoff, whichever worker's batch comes by.
    retry_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="outgoingmail_status_created"),
            models.Index(fields=["to", "created_at"], name="outgoingmail_to_created"),
            # What a worker's claim reads: the owed rows of its queue's kinds, oldest first, and nothing of the
            # millions already sent.
            models.Index(
                fields=["kind", "created_at"],
                name="outgoingmail_owed_kind",
                condition=models.Q(status__in=["queued", "sending"]),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"
