"""Channel proofs as a member starts them: the check itself is the worker's (services.channel_proof_check, run by
tasks.check_channel_proof). Apart from the services so that the tasks, which call services, are never imported
back by them."""

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .models import ChannelProof, Signature
from .tasks import check_channel_proof

CHANNEL_PROOF_PREFIX = "creators-coalition-verify-"
CHANNEL_CHECK_COOLDOWN = timedelta(minutes=1)


@transaction.atomic
def channel_proof_start(*, signature, url):
    """Name the page or feed to check; the token stays the same across URLs, so a creator places it once.
    The check runs after commit."""
    proof = ChannelProof.objects.select_for_update().filter(signature=signature).first()
    if proof is None:
        proof = ChannelProof(signature=signature, token=CHANNEL_PROOF_PREFIX + secrets.token_urlsafe(16))
    if proof.url != url:
        proof.url, proof.status, proof.last_error = url, ChannelProof.Status.PENDING, ""
        # The mark was for the old page: shown again once the new one is checked.
        Signature.objects.filter(pk=signature.pk).update(channel_verified_at=None)
    proof.full_clean(validate_unique=False)
    proof.save()
    channel_check_enqueue(proof=proof)
    return proof


def channel_check_enqueue(*, proof):
    """Queue a check unless one ran a moment ago (a button pressed over and over fetches nothing more)."""
    if proof.checked_at and timezone.now() - proof.checked_at < CHANNEL_CHECK_COOLDOWN:
        return False
    transaction.on_commit(lambda: check_channel_proof.delay(proof.pk), robust=True)
    return True
