from celery import shared_task

from coalition.letters.selectors import letter_current

from . import moderation, services


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
