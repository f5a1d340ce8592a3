"""Queuing mail: an outbox row written in the caller's transaction, handed to the worker once that commits."""

from django.conf import settings
from django.db import transaction

from .models import OutgoingMail
from .tasks import mail_enqueue, owed_rows_enqueue


def mail_queue(
    *,
    kind,
    to,
    language="en",
    signature=None,
    organisation=None,
    subject="",
    body_text="",
    body_html="",
    enqueue=True,
):
    """Record a mail we owe, in the caller's transaction; enqueue it once that commits (`enqueue=False`: the caller
    enqueues many at once, with mails_enqueue).

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
    if enqueue:
        transaction.on_commit(lambda: mail_enqueue(mail_id=mail.pk, kind=kind), robust=True)
    return mail


def mails_enqueue(mails):
    """Once the caller's transaction commits, hand `mails` (queued with enqueue=False) to the worker: one task per
    MAIL_BATCH_SIZE of them, each task sending a batch over one SMTP connection, instead of one task per mail."""
    if not mails:
        return
    # A task sends the mail it names and the oldest others owed on its queue, up to MAIL_BATCH_SIZE.
    firsts = mails[:: settings.MAIL_BATCH_SIZE]

    def enqueue():
        for mail in firsts:
            mail_enqueue(mail_id=mail.pk, kind=mail.kind)

    transaction.on_commit(enqueue, robust=True)


def mail_queue_bulk(mails, *, enqueue=True):
    """Store many unsaved OutgoingMail rows in one INSERT, in the caller's transaction; enqueued after commit (bulk
    kinds as batches, not one message each). `enqueue=False`: the caller enqueues them with others (mails_enqueue)."""
    mails = OutgoingMail.objects.bulk_create(mails)
    if enqueue:
        transaction.on_commit(lambda: owed_rows_enqueue([(mail.pk, mail.kind) for mail in mails]), robust=True)
    return mails


@transaction.atomic
def mail_retry(*, mail_ids):
    """Organisers' retry of mails that gave up: queued again from scratch. Returns how many."""
    rows = list(
        OutgoingMail.objects.filter(pk__in=mail_ids, status=OutgoingMail.Status.FAILED).values_list("pk", "kind")
    )
    OutgoingMail.objects.filter(pk__in=[pk for pk, _ in rows]).update(
        status=OutgoingMail.Status.QUEUED, attempts=0, last_error="", retry_at=None
    )
    transaction.on_commit(lambda: owed_rows_enqueue(rows), robust=True)
    return len(rows)
