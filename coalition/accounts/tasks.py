from celery import shared_task

from . import services


@shared_task(acks_late=True)
def coalition_update_fan_out(update_id):
    """Queue a coalition update's mails; safe to run twice (recipients already queued are skipped)."""
    return services.coalition_update_queue(update_id=update_id)


@shared_task
def resume_coalition_updates():
    """Updates an organiser sent whose queuing never finished (broker down at the click, worker killed midway)."""
    ids = services.coalition_updates_stalled()
    for update_id in ids:
        coalition_update_fan_out.delay(update_id)
    return len(ids)
