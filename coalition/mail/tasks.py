import logging
import math

from celery import shared_task
from celery.utils import uuid
from django.conf import settings
from django.utils import timezone

from coalition.core.onitsway import OnItsWay

from .kinds import mail_kind
from .models import OutgoingMail
from .pacing import bulk_allowance
from .selectors import mail_owed
from .sending import mail_give_up, mail_send_batch

logger = logging.getLogger(__name__)

MAX_RETRIES = 8


@shared_task(bind=True, acks_late=True)
def send_outgoing_mail(self, mail_id):
    """Send mail `mail_id` and, on the same SMTP connection, other confirmations and codes owed (the `mail` queue).
    Safe to run twice: a row is claimed before it is sent, and a sent row is never claimed again."""
    outcomes = mail_send_batch(mail_id=mail_id, queue="mail")
    _retry_later(outcomes, eager=self.request.is_eager)
    return outcomes.get(mail_id, "skipped")


# Set while a send_bulk_mail is on its way: bulk mail has one sender at a time, which queues the next one itself.
BULK_SENDER = OnItsWay("mail:bulk-sender-on-its-way", 300)


@shared_task(bind=True, acks_late=True)
def send_bulk_mail(self, mail_id=None):
    """Send the next batch of owed bulk mail (coalition updates) as fast as MAIL_BULK_RATE allows (pacing.py), then
    queue the next batch behind whatever the queues hold by then. A worker takes it from `bulk` only when no
    confirmation is waiting. When the pace says wait, the next batch is queued with a countdown rather than held:
    Celery holds a rate-limited message in the worker's prefetch, where it kept confirmations waiting for its turn
    (a worker with one process took none for the whole pause); a message with a countdown does not count there."""
    if self.request.is_eager:
        # No broker (development): no pace, no chain; bulk_mail_enqueue runs as many batches as were queued.
        outcomes = mail_send_batch(mail_id=mail_id, queue="bulk")
        _retry_later(outcomes, eager=True)
        return len(outcomes)
    if self.request.eta:
        # Its pause is over, but a confirmation may be waiting: back to the bulk queue rather than ahead of it.
        successor = uuid()
        BULK_SENDER.hand_on(self.request.id, successor)
        _publish_bulk_sender(task_id=successor)
        return 0
    # From now on, mail queued for bulk sends its own sender unless this one queues the next. Only the sender on its
    # way clears the key: another (a redelivered message, one sent before a deploy) does its batch and ends.
    BULK_SENDER.forget(self.request.id)
    allowed, wait = bulk_allowance(settings.MAIL_BATCH_SIZE)
    outcomes = mail_send_batch(mail_id=mail_id, queue="bulk", size=allowed) if allowed else {}
    _retry_later(outcomes, eager=False)
    # A full batch may have left more behind; an empty one found none (or was paced: wait > 0).
    if wait or len(outcomes) == allowed:
        bulk_sender_start(countdown=wait or None)
    return len(outcomes)


def bulk_sender_start(countdown=None):
    """A bulk sender on its way, unless one already is."""
    task_id = uuid()
    if BULK_SENDER.claim(task_id):
        _publish_bulk_sender(task_id=task_id, countdown=countdown)


def _publish_bulk_sender(*, task_id, countdown=None):
    try:
        send_bulk_mail.apply_async(task_id=task_id, countdown=countdown)
    except Exception:
        BULK_SENDER.forget(task_id)
        logger.warning("Could not enqueue the bulk mail sender; the periodic job will retry", exc_info=True)


def _retry_later(outcomes, *, eager):
    """Temporary failures come back once their backoff (retry_at, set as they were refused) is over, until
    MAX_RETRIES retries, then give up."""
    retry = [pk for pk, outcome in outcomes.items() if outcome == "temporary"]
    now = timezone.now()
    for mail in OutgoingMail.objects.filter(pk__in=retry).only("pk", "kind", "attempts", "last_error", "retry_at"):
        if mail.attempts > MAX_RETRIES:
            mail_give_up(mail_id=mail.pk, error=mail.last_error)
            logger.error("Mail %s given up after %s attempts: %s", mail.pk, mail.attempts, mail.last_error)
        elif eager:
            # In-process (no broker): do not hold the request retrying; the row stays owed.
            logger.warning("Mail %s not sent, left queued: %s", mail.pk, mail.last_error)
        elif mail_kind(mail.kind).queue == "mail":
            countdown = max(0.0, (mail.retry_at - now).total_seconds()) if mail.retry_at else None
            mail_enqueue(mail_id=mail.pk, kind=mail.kind, countdown=countdown)
        # Bulk mail refused for now gets no message of its own (an outage would make one a mail): the bulk sender
        # or, once the row is due, requeue_owed_mail takes it.


def mail_enqueue(*, mail_id, kind, countdown=None):
    """Hand a mail to the broker, on its kind's queue. A dead broker is not the caller's problem: the row waits for
    requeue_owed_mail. Bulk mail is not handed over one by one: the bulk sender takes it in its turn."""
    if mail_kind(kind).queue == "bulk":
        bulk_mail_enqueue(count=1)
        return
    try:
        send_outgoing_mail.apply_async((mail_id,), countdown=countdown)
    except Exception:
        logger.warning("Could not enqueue mail %s; the periodic job will retry", mail_id, exc_info=True)


def bulk_mail_enqueue(*, count):
    """Make sure a bulk sender is on its way for `count` mails just queued: one sender takes them all, batch after
    batch, at the bulk pace. Without a broker, the batches run here and now."""
    if send_bulk_mail.app.conf.task_always_eager:
        try:
            for _ in range(math.ceil(count / settings.MAIL_BATCH_SIZE)):
                send_bulk_mail.delay()
        except Exception:
            logger.warning("Could not send %s bulk mails; the periodic job will retry", count, exc_info=True)
    else:
        bulk_sender_start()


@shared_task
def requeue_owed_mail():
    """Enqueue outbox rows whose task was lost (broker down at signing time, worker killed)."""
    owed = mail_owed()
    owed_rows_enqueue(owed)
    return len(owed)


def owed_rows_enqueue(rows):
    """Hand [(mail_id, kind)] to the broker: a message each for confirmations and codes, one bulk sender for the
    rest."""
    bulk = 0
    for mail_id, kind in rows:
        if mail_kind(kind).queue == "bulk":
            bulk += 1
        else:
            mail_enqueue(mail_id=mail_id, kind=kind)
    if bulk:
        bulk_mail_enqueue(count=bulk)
