"""Sending a coalition update, as an organiser does it: the fan-out to every recipient is the worker's
(services.coalition_update_queue_part, run in a chain of parts by tasks.coalition_update_fan_out). Apart from the
services so that the tasks, which call services, are never imported back by them."""

from django.db import transaction
from django.utils import timezone

from .models import CoalitionUpdate
from .tasks import coalition_update_fan_out


def coalition_update_send(*, update, actor):
    """An organiser sends `update` to the members who asked for updates. The first call marks it sent; until every
    recipient's mail is in the outbox, a call (again) starts the worker on what is left. True when it (re)started."""
    with transaction.atomic():
        CoalitionUpdate.objects.filter(pk=update.pk, sent_at__isnull=True).update(sent_at=timezone.now(), sent_by=actor)
        if CoalitionUpdate.objects.filter(pk=update.pk, queued_at__isnull=True).exists():
            transaction.on_commit(lambda: coalition_update_fan_out.delay(update.pk), robust=True)
            return True
    return False
