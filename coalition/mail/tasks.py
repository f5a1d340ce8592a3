import logging
import math
import random

from celery import shared_task
from django.conf import settings

from .kinds import mail_kind
from .models import OutgoingMail
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


@shared_task(bind=True, acks_late=True, rate_limit=settings.MAIL_BULK_TASK_RATE)
def send_bulk_mail(self, mail_id=None):
    """Send a batch of owed bulk mail (coalition updates). Each task is one batch; the task's rate limit (from
    MAIL_BULK_RATE) paces them per worker, and workers take them only when no confirmation is waiting."""
    outcomes = mail_send_batch(mail_id=mail_id, queue="bulk")
    _retry_later(outcomes, eager=self.request.is_eager)
    return len(outcomes)


def _retry_later(outcomes, *, eager):
    """Temporary failures come back after an exponential backoff, until MAX_RETRIES retries, then give up."""
    retry = [pk for pk, outcome in outcomes.items() if outcome == "temporary"]
    for mail in OutgoingMail.objects.filter(pk__in=retry).only("pk", "kind", "attempts", "last_error"):
        if mail.attempts > MAX_RETRIES:
            mail_give_up(mail_id=mail.pk, error=mail.last_error)
            logger.error("Mail %s given up after %s attempts: %s", mail.pk, mail.attempts, mail.last_error)
        elif eager:
            # In-process (no broker): do not hold the request retrying; the row stays owed.
            logger.warning("Mail %s not sent, left queued: %s", mail.pk, mail.last_error)
        else:
            base = settings.MAIL_RETRY_BASE_SECONDS
            countdown = base * 2 ** (mail.attempts - 1) + random.uniform(0, base)
            mail_enqueue(mail_id=mail.pk, kind=mail.kind, countdown=countdown)


def mail_enqueue(*, mail_id, kind, countdown=None):
    """Hand a mail to the broker, on its kind's queue. A dead broker is not the caller's problem: the row waits for
    requeue_owed_mail."""
    task = send_bulk_mail if mail_kind(kind).queue == "bulk" else send_outgoing_mail
    try:
        task.apply_async((mail_id,), countdown=countdown)
    except Exception:
        logger.warning("Could not enqueue mail %s; the periodic job will retry", mail_id, exc_info=True)


def bulk_mail_enqueue(*, count):
    """Enough bulk batches for `count` mails just queued (each batch takes whichever rows are owed)."""
    try:
        for _ in range(math.ceil(count / settings.MAIL_BATCH_SIZE)):
            send_bulk_mail.delay()
    except Exception:
        logger.warning("Could not enqueue %s bulk mails; the periodic job will retry", count, exc_info=True)


@shared_task
def requeue_owed_mail():
    """Enqueue outbox rows whose task was lost (broker down at signing time, worker killed)."""
    owed = mail_owed()
    bulk = 0
    for mail_id, kind in owed:
        if mail_kind(kind).queue == "bulk":
            bulk += 1
        else:
            mail_enqueue(mail_id=mail_id, kind=kind)
    if bulk:
        bulk_mail_enqueue(count=bulk)
    return len(owed)
