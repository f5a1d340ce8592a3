from datetime import timedelta

from celery import shared_task
from django.db import OperationalError

from coalition.letters.selectors import letter_current

from . import moderation, services

# A submission younger than this is still expected to be processed by its own task.
SUBMISSION_GRACE = timedelta(seconds=60)


@shared_task
def purge_unconfirmed_signatures():
    return services.signature_purge_unconfirmed()


@shared_task
def purge_withdrawn_signatures():
    return moderation.signature_purge_withdrawn()


@shared_task
def reconcile_signature_counts():
    return moderation.reconcile_signature_counts()


@shared_task
def snapshot_public_list():
    """Run hourly by beat: the first run of each UTC day takes that day's snapshot, the others find it taken."""
    snapshot, _ = services.list_snapshot_take(letter=letter_current())
    return snapshot.day.isoformat()


@shared_task
def check_channel_proof(proof_id):
    return services.channel_proof_check(proof_id=proof_id)


@shared_task
def recheck_channel_proofs():
    """Verified channels are checked again now and then: the mark stays only while the token does."""
    ids = services.channel_proofs_due()
    for proof_id in ids:
        check_channel_proof.delay(proof_id)
    return len(ids)


# On the `mail` queue (settings.CELERY_TASK_ROUTES): a confirmation mail waits behind it.
@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def process_submission(submission_id):
    return services.submission_process(submission_id=submission_id)


@shared_task
def process_waiting_submissions():
    """Run by beat: submissions whose task was lost are processed here, so no signature is lost with a broker."""
    processed = 0
    while services.submissions_waiting(older_than=SUBMISSION_GRACE):
        done = services.submission_process()
        if not done:
            break  # the rest are being processed by a worker right now
        processed += done
    return processed
