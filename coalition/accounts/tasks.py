from celery import shared_task

from . import services


@shared_task(acks_late=True)
def coalition_update_fan_out(update_id):
    """Queue a coalition update's mails; safe to run twice (recipients already queued are skipped)."""
    return services.coalition_update_queue(update_id=update_id)
