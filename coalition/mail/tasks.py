import logging
import random

from celery import shared_task
from django.conf import settings

from .selectors import mail_owed_ids
from .sending import TemporaryMailError, mail_give_up, mail_send

logger = logging.getLogger(__name__)

MAX_RETRIES = 8


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def send_outgoing_mail(self, mail_id):
    try:
        return mail_send(mail_id=mail_id)
    except TemporaryMailError as exc:
        if self.request.retries >= self.max_retries:
            mail_give_up(mail_id=mail_id, error=str(exc))
            logger.error("Mail %s given up after %s retries: %s", mail_id, self.request.retries, exc)
            return "failed"
        if self.request.is_eager:
            # In-process (no broker): do not hold the request retrying; the row stays owed.
            logger.warning("Mail %s not sent, left queued: %s", mail_id, exc)
            return "queued"
        base = settings.MAIL_RETRY_BASE_SECONDS
        countdown = base * 2**self.request.retries + random.uniform(0, base)
        raise self.retry(exc=exc, countdown=countdown) from exc


def mail_enqueue(*, mail_id):
    """Hand a mail to the broker. A dead broker is not the caller's problem: the row waits for requeue_owed_mail."""
    try:
        send_outgoing_mail.delay(mail_id)
    except Exception:
        logger.warning("Could not enqueue mail %s; the periodic job will retry", mail_id, exc_info=True)


@shared_task
def requeue_owed_mail():
    """Enqueue outbox rows whose task was lost (broker down at signing time, worker killed)."""
    ids = mail_owed_ids()
    for mail_id in ids:
        mail_enqueue(mail_id=mail_id)
    return len(ids)
