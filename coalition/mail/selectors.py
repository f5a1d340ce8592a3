from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone

from .kinds import QUEUES, mail_kind
from .models import OutgoingMail

# Rows younger than this are still expected to be enqueued by their own on_commit hook.
REQUEUE_GRACE = timedelta(minutes=1)
# Longer than the whole retry schedule: a row still queued after this lost its retry message.
LOST_RETRY = timedelta(hours=3)
MAX_ATTEMPTS = 20


def mail_owed():
    """[(id, kind)] of mails that should have gone by now but have not: never enqueued, due for their retry a while
    ago (bulk mail has no retry message of its own; a confirmation's may have been lost), or claimed by a dead
    worker."""
    now = timezone.now()
    return list(
        OutgoingMail.objects.filter(
            Q(status=OutgoingMail.Status.QUEUED, created_at__lt=now - REQUEUE_GRACE, attempts=0)
            | Q(status=OutgoingMail.Status.QUEUED, retry_at__lt=now - REQUEUE_GRACE, attempts__lt=MAX_ATTEMPTS)
            | Q(status=OutgoingMail.Status.QUEUED, claimed_at__lt=now - LOST_RETRY, attempts__lt=MAX_ATTEMPTS)
            | Q(status=OutgoingMail.Status.SENDING, claimed_at__lt=now - settings.MAIL_CLAIM_TIMEOUT)
        ).values_list("pk", "kind")[:1000]
    )


def mail_lag(*, now=None):
    """Per queue: how many mails are owed (queued, or being sent), how many of them are waiting out a backoff after
    their server refused them for now ("retrying"), and the age in seconds of the oldest of the others, the ones
    waiting on us; and "status": "late" when a mail on the `mail` queue (confirmations, sign-in codes) waited on us
    longer than MAIL_LAG_ALERT_SECONDS (one mailbox that keeps deferring its mail is no reason to page anyone). One
    query over the owed rows only."""
    now = now or timezone.now()
    queues = {queue: {"owed": 0, "retrying": 0, "oldest_seconds": 0} for queue in QUEUES}
    backoff = Q(status=OutgoingMail.Status.QUEUED, retry_at__gt=now)
    owed = (
        OutgoingMail.objects.filter(status__in=[OutgoingMail.Status.QUEUED, OutgoingMail.Status.SENDING])
        .order_by()
        .values("kind")
        .annotate(owed=Count("pk"), retrying=Count("pk", filter=backoff), oldest=Min("created_at", filter=~backoff))
    )
    for row in owed:
        try:
            queue = queues[mail_kind(row["kind"]).queue]
        except LookupError:
            continue  # a kind no app registers any more: nothing will send it
        queue["owed"] += row["owed"]
        queue["retrying"] += row["retrying"]
        if row["oldest"] is not None:
            queue["oldest_seconds"] = max(queue["oldest_seconds"], int((now - row["oldest"]).total_seconds()))
    late = queues["mail"]["oldest_seconds"] > settings.MAIL_LAG_ALERT_SECONDS
    return {"status": "late" if late else "ok", **queues}
