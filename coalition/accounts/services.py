"""Members: accounts for signers, their profile, consent to updates, and leaving."""

import operator
from datetime import timedelta
from functools import reduce

from allauth.account.models import EmailAddress
from allauth.utils import generate_unique_username
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from coalition.mail.models import OutgoingMail
from coalition.mail.services import mail_queue_bulk
from coalition.signatures.channel_proofs import channel_check_enqueue, channel_proof_start
from coalition.signatures.models import Signature
from coalition.signatures.moderation import (
    SIGNER_WITHDRAWABLE,
    signature_erase_personal_data,
    signature_undo_withdrawal,
    signature_update_by_signer,
    signature_withdraw_by_signer,
    withdrawal_undo_until,
)

from .models import CoalitionUpdate, MemberProfile, UpdatesOptOut, address_key
from .selectors import member_emails, member_signatures, update_members_after, update_recipients, wanting_updates

UNSUBSCRIBE_SALT = "accounts.unsubscribe"


class MemberError(Exception):
    """Something a member asked for that cannot be done; the message is for them."""


@transaction.atomic
def member_for_signer(*, email):
    """The account of a signer who confirmed `email` and never opened one, opened now; None otherwise.

    The address is left unverified: the sign-in code sent to it verifies it, so whoever reads that mail owns the
    account."""
    User = get_user_model()
    if EmailAddress.objects.filter(email__iexact=email).exists() or User.objects.filter(email__iexact=email).exists():
        return None
    if not Signature.objects.filter(email=email, confirmed_at__isnull=False).exists():
        return None
    user = User(username=generate_unique_username([email.partition("@")[0], "member"]), email=email)
    user.set_unusable_password()
    user.save()
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    return user


@transaction.atomic
def member_unproven_claim_drop(*, user, email):
    """An address an account added but never proved does not choose that account when someone signs in with it:
    whoever reads the code owns the address, not whoever typed it into their account first. The claim goes (an
    account with no proven address at all is a signer's own, waiting for its first code, and keeps it).
    True when a claim went."""
    if not EmailAddress.objects.filter(user=user, verified=True).exists():
        return False
    deleted, _ = EmailAddress.objects.filter(user=user, email__iexact=email, verified=False).delete()
    return bool(deleted)


UNPROVEN_SESSION_KEY = "accounts.unproven_account"


def member_is_unproven(*, user):
    """An account with a password whose owner never proved any address: anyone could have made it."""
    return (
        user is not None
        and user.has_usable_password()
        and not EmailAddress.objects.filter(user=user, verified=True).exists()
    )


def member_password_drop(*, user):
    """The person who just proved the address by code owns the account; a password set before that proof goes."""
    user.set_unusable_password()
    user.save(update_fields=["password"])


def member_profile(*, user):
    """The member's profile, with any one-click unsubscribe of one of their addresses applied."""
    profile = MemberProfile.objects.get_or_create(user=user)[0]
    _opt_outs_apply(profile)
    return profile


def member_profile_initial(*, user, profile):
    """What the profile form starts with: the saved profile, or, where it says nothing yet, what the member's
    latest signature says (its craft and country), so nobody types them twice."""
    signature = member_signatures(user=user).exclude(status=Signature.Status.WITHDRAWN).first()
    return {
        "crafts": profile.crafts or ([signature.craft] if signature else []),
        "union": profile.union,
        "country": profile.country.code or (signature.country.code if signature else "") or "",
        "bio": profile.bio,
        "updates": profile.wants_updates,
    }


def member_opt_outs_apply(*, user):
    """Apply a one-click unsubscribe of one of the member's addresses to their consent (before showing it)."""
    profile = MemberProfile.objects.filter(user=user).first()
    if profile is not None:
        _opt_outs_apply(profile)


def _opt_outs_apply(profile):
    if not profile.wants_updates:
        return
    emails = EmailAddress.objects.filter(user_id=profile.user_id).values_list("email", flat=True)
    opt_out = (
        UpdatesOptOut.objects.filter(
            address_key__in=[address_key(email) for email in emails], created_at__gte=profile.updates_consented_at
        )
        .order_by("created_at")
        .first()
    )
    if opt_out is not None:
        # An unsubscribe that came after the consent revokes it; opting in again later wins over it, even one made
        # while this runs (hence the conditional update).
        MemberProfile.objects.filter(
            pk=profile.pk, updates_consented_at=profile.updates_consented_at, updates_revoked_at__isnull=True
        ).update(updates_revoked_at=opt_out.created_at, updated_at=timezone.now())
        profile.refresh_from_db()


@transaction.atomic
def member_profile_update(*, user, crafts, union, country, bio, wants_updates, consent_text):
    """Save the profile; opting in records the consent text and time, opting out the time of revocation."""
    profile = MemberProfile.objects.select_for_update().get_or_create(user=user)[0]
    profile.crafts, profile.union, profile.country, profile.bio = list(crafts), union, country, bio
    now = timezone.now()
    if wants_updates and not profile.wants_updates:
        profile.updates_consent_text, profile.updates_consented_at, profile.updates_revoked_at = consent_text, now, None
    elif not wants_updates and profile.wants_updates:
        profile.updates_revoked_at = now
    profile.full_clean()
    profile.save()
    return profile


def unsubscribe_token(*, email):
    """A token for the one-click way out of updates. It names the member, never the address: URLs end up in logs."""
    address = EmailAddress.objects.filter(email__iexact=email).only("user_id").first()
    return _unsubscribe_token(email, address.user_id if address else None)


def _unsubscribe_token(email, user_id):
    payload = {"u": user_id, "a": address_key(email)} if user_id else {"a": address_key(email)}
    return signing.dumps(payload, salt=UNSUBSCRIBE_SALT, compress=True)


def _unsubscribe_url(token):
    return settings.SITE_URL + reverse("accounts:unsubscribe", args=[token])


def unsubscribe_url(*, email):
    return _unsubscribe_url(unsubscribe_token(email=email))


def unsubscribe_urls(*, emails):
    """{address: its one-click unsubscribe URL} for many addresses (a batch of mails), with one query for the
    members they belong to: the same answers as unsubscribe_url for each."""
    emails = set(emails)
    if not emails:
        return {}
    # The same comparison as unsubscribe_token's (email__iexact, on the UPPER(email) index), for all at once.
    matching = EmailAddress.objects.filter(reduce(operator.or_, (Q(email__iexact=email) for email in emails)))
    members, strays = {}, False
    wanted = {email.upper() for email in emails}
    for email, user_id in matching.order_by("pk").values_list("email", "user_id"):
        if email.upper() in wanted:
            members.setdefault(email.upper(), user_id)
        else:
            strays = True  # the database and Python fold this address's case differently
    urls = {}
    for email in emails:
        if strays and email.upper() not in members:
            urls[email] = unsubscribe_url(email=email)
        else:
            urls[email] = _unsubscribe_url(_unsubscribe_token(email, members.get(email.upper())))
    return urls


def unsubscribe_check(*, token):
    """The payload of a token we made, or None."""
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return payload if isinstance(payload, dict) and "a" in payload else None


@transaction.atomic
def updates_unsubscribe(*, token):
    """Stop coalition updates to the address the token names, and revoke the consent of the member it names (if it
    was sent to a member). True when the token is ours."""
    payload = unsubscribe_check(token=token)
    if payload is None:
        return False
    now = timezone.now()
    # Also for a member: the address may move to another account later, and the opt-out goes with it.
    UpdatesOptOut.objects.update_or_create(address_key=payload["a"], defaults={"created_at": now})
    if "u" in payload:
        MemberProfile.objects.filter(wanting_updates(), user_id=payload["u"]).update(updates_revoked_at=now)
    return True


def _owned(*, user, signature_id):
    signature = member_signatures(user=user).filter(pk=signature_id).first()
    if signature is None:
        # The same answer for someone else's signature and for none at all.
        raise Signature.DoesNotExist
    return signature


def member_signature_update(*, user, signature_id, name, affiliation, profile_url, public):
    signature = _owned(user=user, signature_id=signature_id)
    if signature.status not in (*Signature.LISTED_STATUSES, Signature.Status.HELD, Signature.Status.PENDING):
        raise MemberError(_("This signature can no longer be changed."))
    return signature_update_by_signer(
        signature=signature, name=name, affiliation=affiliation, profile_url=profile_url, public=public
    )


def member_signature_withdrawable(*, user, signature_id):
    """The member's own signature, if it can be withdrawn now; Signature.DoesNotExist otherwise."""
    signature = _owned(user=user, signature_id=signature_id)
    if signature.status not in SIGNER_WITHDRAWABLE:
        raise Signature.DoesNotExist
    return signature


def member_signature_withdraw(*, user, signature_id):
    """Withdraw; returns until when the member may take it back."""
    signature = _owned(user=user, signature_id=signature_id)
    moved, _refused = signature_withdraw_by_signer(signature_ids=[signature.pk])
    if not moved:
        raise MemberError(_("This signature cannot be withdrawn."))
    signature.refresh_from_db()
    return withdrawal_undo_until(signature)


def member_signature_undo_withdrawal(*, user, signature_id):
    signature = _owned(user=user, signature_id=signature_id)
    state = signature_undo_withdrawal(signature_id=signature.pk)
    if state is None:
        raise MemberError(_("This withdrawal can no longer be taken back. You can sign the letter again."))
    return state


def member_signatures_with_undo(*, user):
    """The member's signatures, each with `undo_until`: until when a withdrawal can be taken back (or None)."""
    signatures = list(member_signatures(user=user).select_related("channel_proof"))
    for signature in signatures:
        signature.undo_until = withdrawal_undo_until(signature)
    return signatures


@transaction.atomic
def member_delete(*, user):
    """Close a member's account: signatures withdrawn (counts follow) and their personal data erased now, unconfirmed
    ones deleted, mails to their addresses forgotten, then the account itself. Organisers are closed by organisers."""
    if user.is_staff or user.is_superuser:
        raise MemberError(_("Organisers' accounts are closed by another organiser in the admin."))
    emails = member_emails(user=user)
    signatures = Signature.objects.filter(email__in=emails)
    signatures.filter(status=Signature.Status.PENDING).delete()
    ids = list(signatures.values_list("pk", flat=True))
    signature_withdraw_by_signer(signature_ids=ids)
    signature_erase_personal_data(signature_ids=ids)
    # Only proven addresses: an unverified one may be someone else's, with mail of theirs queued.
    OutgoingMail.objects.filter(to__in=emails).delete()
    user.delete()


def member_channel_proof(*, user, signature_id, url):
    signature = _owned(user=user, signature_id=signature_id)
    if signature.status not in (*Signature.LISTED_STATUSES, Signature.Status.HELD):
        raise MemberError(_("Only a confirmed signature can carry a channel proof."))
    return channel_proof_start(signature=signature, url=url)


@transaction.atomic
def member_channel_recheck(*, user, signature_id):
    signature = _owned(user=user, signature_id=signature_id)
    proof = getattr(signature, "channel_proof", None)
    if proof is None:
        raise MemberError(_("Name your channel first."))
    return channel_check_enqueue(proof=proof)


UPDATE_BATCH = 1000


# Longer than a fan-out of a few hundred thousand mails takes when the bulk queue is served: one still unfinished
# after this has stopped, or waits behind a surge of confirmations (a second chain beside it queues no one twice).
UPDATE_STALLED_AFTER = timedelta(minutes=15)


def coalition_updates_stalled():
    """Sent updates whose mails are not all queued yet, well after the click."""
    return list(
        CoalitionUpdate.objects.filter(
            sent_at__lt=timezone.now() - UPDATE_STALLED_AFTER, queued_at__isnull=True
        ).values_list("pk", flat=True)
    )


def coalition_update_queue(*, update_id):
    """Every part of an update's queuing, one after the other (what the worker's chain of parts does). Returns how
    many mails this run queued."""
    queued, after = 0, 0
    while after is not None:
        count, after = coalition_update_queue_part(update_id=update_id, after=after)
        queued += count
    return queued


def coalition_update_queue_part(*, update_id, after=0, size=UPDATE_BATCH):
    """The worker's part: one outbox mail for each of the next `size` members (by user id, after `after`) who asked
    for updates, skipping anyone already queued (a resumed or repeated run adds nothing twice). Returns how many mails
    it queued and the id to go on after, or None when the update is all queued. One part is short on purpose: it
    runs on the bulk queue, between confirmations."""
    with transaction.atomic():
        # The row lock keeps two runs of one part (a resumed chain beside the first) from queuing a member twice.
        update = CoalitionUpdate.objects.select_for_update().get(pk=update_id)
        if update.sent_at is None or update.queued_at is not None:
            return 0, None
        users = update_members_after(after=after, size=size)
        recipients = [email for _, email in update_recipients(users=users)] if users else []
        languages = dict(
            Signature.objects.filter(email__in=recipients).order_by("created_at").values_list("email", "language")
        )
        done = set(OutgoingMail.objects.filter(update=update, to__in=recipients).values_list("to", flat=True))
        todo = [email for email in recipients if email not in done]
        mail_queue_bulk(
            OutgoingMail(
                kind=OutgoingMail.Kind.COALITION_UPDATE,
                to=email,
                language="fr" if languages.get(email) == "fr" else "en",
                update=update,
            )
            for email in todo
        )
        if len(users) == size:
            return len(todo), users[-1]
        CoalitionUpdate.objects.filter(pk=update_id).update(
            queued_at=timezone.now(), recipients=OutgoingMail.objects.filter(update=update).count()
        )
    return len(todo), None
