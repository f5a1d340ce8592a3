import logging
from datetime import timedelta

from celery import shared_task
from django.db import OperationalError

from coalition.core.onitsway import OnItsWay
from coalition.letters.selectors import letter_current

from . import moderation, services

logger = logging.getLogger(__name__)

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


# Set while a process_submission task is on its way (submissions.submission_enqueue): requests in between publish no
# other. Should that task be lost, the key lapses and the next submission sends a new one.
PROCESSING_KEY = "signatures:submissions:task-on-its-way"
PROCESSING_KEY_SECONDS = 10
PROCESSING = OnItsWay(PROCESSING_KEY, PROCESSING_KEY_SECONDS)
# Batches one task processes before it makes way for the mail sends it queued.
PROCESSING_ROUNDS = 4


# On the `mail` queue (settings.CELERY_TASK_ROUTES): a confirmation mail waits behind it.
@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def process_submission(submission_id=None):
    """Process the submission named and others waiting, a few batches at a time. When more wait, the task queues
    itself again behind what the queue holds by then, so the confirmations it just owed are sent in between."""
    # Cleared first: a submission committed from now on sends a task of its own, so none is left behind.
    processing_forget()
    processed = done = services.submission_process(submission_id=submission_id)
    for _ in range(PROCESSING_ROUNDS - 1):
        if done < services.SUBMISSION_BATCH:
            return processed
        done = services.submission_process()
        processed += done
    if done == services.SUBMISSION_BATCH and processing_claim():
        process_submission.delay()
    return processed


def processing_claim():
    """True when the caller is the one to send the next process_submission task."""
    return PROCESSING.claim()


def processing_forget():
    PROCESSING.forget()


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
