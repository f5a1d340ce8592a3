from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import OutgoingMail

# Rows younger than this are still expected to be enqueued by their own on_commit hook.
REQUEUE_GRACE = timedelta(minutes=1)
# Longer than the whole retry schedule: a row still queued after this lost its retry message.
LOST_RETRY = timedelta(hours=3)
MAX_ATTEMPTS = 20


def mail_owed_ids():
    """Mails that should have gone by now but have not: never enqueued, or claimed by a dead worker."""
    now = timezone.now()
    return list(
        OutgoingMail.objects.filter(
            Q(status=OutgoingMail.Status.QUEUED, created_at__lt=now - REQUEUE_GRACE, attempts=0)
            | Q(status=OutgoingMail.Status.QUEUED, claimed_at__lt=now - LOST_RETRY, attempts__lt=MAX_ATTEMPTS)
            | Q(status=OutgoingMail.Status.SENDING, claimed_at__lt=now - settings.MAIL_CLAIM_TIMEOUT)
        ).values_list("pk", flat=True)[:1000]
    )
