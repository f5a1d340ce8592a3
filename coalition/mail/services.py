"""Queuing mail: an outbox row written in the caller's transaction, handed to the worker once that commits."""

from django.db import transaction

from .models import OutgoingMail
from .tasks import mail_enqueue


def mail_queue(*, kind, to, language="en", signature=None, organisation=None, subject="", body_text="", body_html=""):
    """Record a mail we owe, in the caller's transaction; enqueue it once that commits.

    Most kinds are rendered when sent, from the current state; `subject`/`body_*` carry a mail rendered now."""
    mail = OutgoingMail.objects.create(
        kind=kind,
        to=to,
        language=language,
        signature=signature,
        organisation=organisation,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
    )
    transaction.on_commit(lambda: mail_enqueue(mail_id=mail.pk), robust=True)
    return mail


def mail_queue_bulk(mails):
    """Store many unsaved OutgoingMail rows at once, in the caller's transaction; each is enqueued after commit."""
    mails = OutgoingMail.objects.bulk_create(mails)
    for mail in mails:
        transaction.on_commit(lambda mail_id=mail.pk: mail_enqueue(mail_id=mail_id), robust=True)
    return mails


@transaction.atomic
def mail_retry(*, mail_ids):
    """Organisers' retry of mails that gave up: queued again from scratch. Returns how many."""
    ids = list(
        OutgoingMail.objects.filter(pk__in=mail_ids, status=OutgoingMail.Status.FAILED).values_list("pk", flat=True)
    )
    OutgoingMail.objects.filter(pk__in=ids).update(status=OutgoingMail.Status.QUEUED, attempts=0, last_error="")
    for mail_id in ids:
        transaction.on_commit(lambda mail_id=mail_id: mail_enqueue(mail_id=mail_id), robust=True)
    return len(ids)
