from celery import shared_task

from . import services


@shared_task(acks_late=True)
def coalition_update_fan_out(update_id, after=0):
    """Queue the next part of a coalition update's mails, then hand the rest to a new message: each part is short, so
    on the bulk queue the fan-out of a large update waits behind confirmations instead of holding a worker process.
    Safe to run twice (recipients already queued are skipped)."""
    queued, after = services.coalition_update_queue_part(update_id=update_id, after=after)
    if after is not None:
        coalition_update_fan_out.delay(update_id, after)
    return queued


@shared_task
def resume_coalition_updates():
    """Updates an organiser sent whose queuing never finished (broker down at the click, worker killed midway)."""
    ids = services.coalition_updates_stalled()
    for update_id in ids:
        coalition_update_fan_out.delay(update_id)
    return len(ids)
