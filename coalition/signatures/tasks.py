from celery import shared_task

from . import services


@shared_task
def purge_unconfirmed_signatures():
    return services.signature_purge_unconfirmed()


@shared_task
def purge_withdrawn_signatures():
    from .moderation import signature_purge_withdrawn

    return signature_purge_withdrawn()


@shared_task
def reconcile_signature_counts():
    from .moderation import reconcile_signature_counts as reconcile

    return reconcile()


@shared_task
def snapshot_public_list():
    """Run hourly by beat: the first run of each UTC day takes that day's snapshot, the others find it taken."""
    from coalition.letters.selectors import letter_current

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
