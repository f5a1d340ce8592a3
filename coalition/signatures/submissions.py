"""Sign form submissions as the request stores them: checked, written as one row, and handed to the worker, which
decides whether they are a new signature or an inbox that already signed (services.submission_process, run by
tasks.process_submission). Apart from the services so that the tasks, which call services, are never imported back
by them."""

import logging

from django.db import transaction

from .models import Submission
from .services import signature_build
from .tasks import process_submission, processing_claim, processing_forget

logger = logging.getLogger(__name__)


def signature_submit(**fields):
    """Check a signature (services.signature_build's arguments; raises ValidationError or ValueError) and store it
    as a submission for the worker. The same work whoever the address belongs to: one INSERT, then the task."""
    signature = signature_build(**fields)
    submission = Submission.objects.create(
        **{field: getattr(signature, field) for field in Submission.SIGNATURE_FIELDS}
    )
    transaction.on_commit(lambda: submission_enqueue(submission.pk), robust=True)
    return submission


def submission_enqueue(submission_id):
    """Make sure a task is on its way to process the waiting submissions. One task drains every submission waiting,
    so a request that finds one already on its way (tasks.PROCESSING_KEY, which the task clears as it starts)
    publishes none: under a surge, a task per signature cost the worker more than the signatures themselves. A dead
    broker is not the signer's problem: the submission waits for tasks.process_waiting_submissions."""
    if not processing_claim():
        return
    try:
        process_submission.delay(submission_id)
    except Exception:
        logger.warning("Could not enqueue submission %s; the periodic job will take it", submission_id, exc_info=True)
        processing_forget()
