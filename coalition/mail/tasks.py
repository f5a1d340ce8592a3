import logging
import random

from celery import shared_task
from django.conf import settings

from . import services

logger = logging.getLogger(__name__)

MAX_RETRIES = 8


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def send_outgoing_mail(self, mail_id):
    try:
        return services.mail_send(mail_id=mail_id)
    except services.TemporaryMailError as exc:
        if self.request.retries >= self.max_retries:
            services.mail_give_up(mail_id=mail_id, error=str(exc))
            logger.error("Mail %s given up after %s retries: %s", mail_id, self.request.retries, exc)
            return "failed"
        if self.request.is_eager:
            # In-process (no broker): do not hold the request retrying; the row stays owed.
            logger.warning("Mail %s not sent, left queued: %s", mail_id, exc)
            return "queued"
        base = settings.MAIL_RETRY_BASE_SECONDS
        countdown = base * 2**self.request.retries + random.uniform(0, base)
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task
def requeue_owed_mail():
    """Enqueue outbox rows whose task was lost (broker down at signing time, worker killed)."""
    ids = services.mail_owed_ids()
    for mail_id in ids:
        services.mail_enqueue(mail_id=mail_id)
    return len(ids)
