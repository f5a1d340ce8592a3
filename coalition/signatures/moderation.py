"""Moderation: every change of a signature's state, approval and flag goes through here, and is audited."""

import hashlib
import hmac
import ipaddress
from collections import defaultdict
from functools import lru_cache, reduce
from operator import or_

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import CharField, Count, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from coalition.core.memo import forget_now_and_at_commit, memo
from coalition.letters.models import Letter
from coalition.mail.models import OutgoingMail

from . import names
from .models import (
    Approval,
    AuditEvent,
    ChannelProof,
    ConfirmationToken,
    NotableName,
    Organisation,
    Signature,
    SignatureCount,
)
from .selectors import counts_cache_key, notable_preview_keys
from .signals import personal_data_erased

APPROVALS_NEEDED = 2
Status = Signature.Status


class IllegalTransition(Exception):
    pass


def ip_prefix_hash(ip):
    """A keyed hash of the network an address is in (/24 for IPv4, /48 for IPv6); '' when there is none.

    Enough to see a burst from one network, never enough to recover the address.
    """
    return _prefix_digest(ip or "", settings.SECRET_KEY)


@lru_cache(maxsize=4096)
def _prefix_digest(ip, secret):
    # Remembered: a signer's network is hashed again by each of their requests, and a flood comes from a few.
    try:
        address = ipaddress.ip_address(ip.split(",")[0].strip())
    except ValueError:
        return ""
    prefix = 24 if address.version == 4 else 48
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    return hmac.new(secret.encode(), str(network).encode(), hashlib.sha256).hexdigest()[:16]


WATCHLIST_CACHE_KEY = "signatures:watchlist:v2"


@memo()
def watchlist():
    """[(name, words)] of the watchlist, words as names.name_words sees them. Memoised for a moment: the admin's
    queue and the worker's batches ask for each of the names they show or confirm."""
    listed = cache.get(WATCHLIST_CACHE_KEY)
    if listed is None:
        listed = [(name, names.name_words(name)) for name in NotableName.objects.values_list("name", flat=True)]
        cache.set(WATCHLIST_CACHE_KEY, listed, 300)
    return listed


def watchlist_changed():
    forget_now_and_at_commit(WATCHLIST_CACHE_KEY)


def name_review_reason(name):
    """Why a name must wait for two organisers before it is listed ("looks like: Natalie Portman", "mixed
    scripts"), or "" when it need not. A false alarm only means a review."""
    words = names.name_words(name)
    reasons = [f"looks like: {listed}" for listed, listed_words in watchlist() if names.looks_like(words, listed_words)]
    if names.has_mixed_scripts(name):
        reasons.append("mixed scripts")
    return "; ".join(reasons[:3])


@transaction.atomic
def signature_transition(*, signature_ids, to, actor=None, reason="", only_from=None, via=None, extra=None):
    """Move signatures to state `to`, each only along an allowed edge. Returns (moved_ids, refused_ids).

    An edge in Signature.GUARDED is taken only on its own road (`via`): the signer's confirmation, the
    second organiser's approval, the undo of a rejection. A fixed number of queries whatever the number of
    rows: one locking read, a conditional UPDATE per source state, and the audit events in batches.
    """
    rows = (
        Signature.objects.select_for_update()
        .filter(pk__in=list(signature_ids))
        .values_list("pk", "status", "letter_id", "craft")
    )
    by_source, refused, deltas = defaultdict(list), [], defaultdict(int)
    counted = set(Signature.LISTED_STATUSES)
    for pk, status, letter_id, craft in rows:
        allowed = (
            to in Signature.TRANSITIONS[status]
            and Signature.GUARDED.get((status, to)) == via
            and (only_from is None or status in only_from)
        )
        (by_source[status] if allowed else refused).append(pk)
        if allowed:
            deltas[letter_id, craft] += (to in counted) - (status in counted)
    now = timezone.now()
    moved, events = [], []
    for source, pks in by_source.items():
        fields = {"status": to, "status_changed_at": now, **(extra or {})}
        if to in (Status.CONFIRMED, Status.VERIFIED, Status.HELD):
            fields.setdefault("confirmed_at", Coalesce(F("confirmed_at"), Value(now)))
        if source == Status.VERIFIED and to != Status.VERIFIED:
            fields.update(verification_method="", verified_by=None, verified_at=None)
        Signature.objects.filter(pk__in=pks, status=source).update(**fields)
        if source == Status.HELD:
            # Approvals count only for the hold they were given in.
            Approval.objects.filter(signature_id__in=pks).delete()
        moved += pks
        events += [
            AuditEvent(
                action=AuditEvent.Action.TRANSITION,
                signature_id=pk,
                actor=actor,
                from_status=source,
                to_status=to,
                reason=reason,
            )
            for pk in pks
        ]
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    counts_apply(deltas)
    if moved:
        # The letter page's cached names show states too ("verified", the initiators): a move between two listed
        # states changes no count but must show.
        forget_now_and_at_commit(*notable_preview_keys({letter_id for letter_id, _craft in deltas}))
    return moved, refused


def counts_apply(deltas):
    """Add {(letter_id, craft): delta} to the counters, in the caller's transaction (at most one UPDATE a craft)."""
    deltas = {key: delta for key, delta in deltas.items() if delta}
    if not deltas:
        return
    SignatureCount.objects.bulk_create(
        [SignatureCount(letter_id=letter_id, craft=craft) for letter_id, craft in deltas], ignore_conflicts=True
    )
    for (letter_id, craft), delta in deltas.items():
        SignatureCount.objects.filter(letter_id=letter_id, craft=craft).update(n=F("n") + delta)
    counts_cache_clear({letter_id for letter_id, _ in deltas})


def counts_cache_clear(letter_ids):
    slugs = Letter.objects.filter(pk__in=letter_ids).values_list("slug", flat=True)
    forget_now_and_at_commit(*(counts_cache_key(slug) for slug in slugs), *notable_preview_keys(letter_ids))


@transaction.atomic
def reconcile_signature_counts():
    """Recount from the signatures table and repair any counter that drifted. Returns the number repaired."""
    # Lock the counters first, then count. A confirmation moves its signature and then its counter in one
    # transaction: one that committed before the lock is in the count, one still open waits for this job and adds
    # itself afterwards. Counting first would miss a confirmation committing in between and "repair" it away.
    stored = {(c.letter_id, c.craft): c for c in SignatureCount.objects.select_for_update()}
    actual = {
        (row["letter_id"], row["craft"]): row["n"]
        for row in Signature.objects.counted().values("letter_id", "craft").annotate(n=Count("id"))
    }
    missing = [SignatureCount(letter_id=key[0], craft=key[1], n=n) for key, n in actual.items() if key not in stored]
    # A counter that a confirmation created since the lock was taken is left as that confirmation made it.
    SignatureCount.objects.bulk_create(missing, ignore_conflicts=True)
    repaired = len(missing)
    for key, row in stored.items():
        want = actual.get(key, 0)
        if row.n != want:
            SignatureCount.objects.filter(pk=row.pk).update(n=want)
            repaired += 1
    counts_cache_clear({letter_id for letter_id, _ in set(actual) | set(stored)})
    return repaired


def signature_move(*, signature, to, actor=None, reason=""):
    """One signature, one move; raises IllegalTransition when the move is not allowed."""
    moved, _ = signature_transition(signature_ids=[signature.pk], to=to, actor=actor, reason=reason)
    if not moved:
        raise IllegalTransition(f"{signature.status} → {to} is not allowed")
    signature.refresh_from_db()
    return signature


@transaction.atomic
def signature_restore(*, signature_ids, actor):
    """Undo a rejection or a fraud mark: back to the state each signature was in before it. Returns
    (moved_ids, refused_ids)."""
    undoable = (Status.REJECTED, Status.FRAUDULENT)
    previous = AuditEvent.objects.filter(
        signature=OuterRef("pk"), action=AuditEvent.Action.TRANSITION, to_status=OuterRef("status")
    ).order_by("-created_at", "-id")
    rows = (
        Signature.objects.filter(pk__in=list(signature_ids))
        .annotate(previous=Subquery(previous.values("from_status")[:1]))
        .values_list("pk", "status", "previous")
    )
    by_target, refused = defaultdict(list), []
    for pk, status, before in rows:
        if before == Status.VERIFIED:
            # Leaving "verified" erased who verified it and how: it comes back confirmed, to be verified again.
            before = Status.CONFIRMED
        (by_target[before] if status in undoable and before else refused).append(pk)
    moved = []
    for target, pks in by_target.items():
        done, not_done = signature_transition(
            signature_ids=pks, to=target, actor=actor, reason="undo", via="undo", only_from=undoable
        )
        moved += done
        refused += not_done
    return moved, refused


def signature_confirm_by_signer(*, signature_id):
    """The signer's own confirmation: a notable name, or one signed from a busy network, is held for organisers
    instead of listed."""
    signature = Signature.objects.get(pk=signature_id)
    held = name_review_reason(signature.name)
    to = Status.HELD if held or signature.review_reason else Status.CONFIRMED
    reason = "confirmed by email link" + (f"; {held}" if held else "")
    if signature.review_reason:
        reason += f"; {signature.review_reason}"
    signature_transition(
        signature_ids=[signature_id],
        to=to,
        reason=reason,
        only_from={Status.PENDING},
        via="signer",
        extra={"confirmed_at": timezone.now()},
    )


def signature_verify(*, signature_ids, actor, method):
    now = timezone.now()
    return signature_transition(
        signature_ids=signature_ids,
        to=Status.VERIFIED,
        actor=actor,
        reason=f"verified: {Signature.VerificationMethod(method).label}",
        extra={"verification_method": method, "verified_by": actor, "verified_at": now},
    )


APPROVE_PERMISSION = "signatures.approve_signature"


@transaction.atomic
def signature_approve(*, signature_ids, actor):
    """Record `actor`'s approval of held signatures; those approved by two different organisers are listed.

    Only accounts with the approve permission count (organisers; moderators do not): a moderator's account is not
    enough to put a famous name on the list. Returns (approved_ids, already_approved_ids, released_ids).
    """
    if not actor.has_perm(APPROVE_PERMISSION):
        raise PermissionDenied("only organisers approve held signatures")
    held = list(
        Signature.objects.select_for_update()
        .filter(pk__in=list(signature_ids), status=Status.HELD)
        .values_list("pk", flat=True)
    )
    already = set(Approval.objects.filter(signature_id__in=held, user=actor).values_list("signature_id", flat=True))
    new = [pk for pk in held if pk not in already]
    Approval.objects.bulk_create([Approval(signature_id=pk, user=actor) for pk in new], batch_size=1000)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(action=AuditEvent.Action.APPROVAL, signature_id=pk, actor=actor, from_status=Status.HELD)
            for pk in new
        ],
        batch_size=1000,
    )
    ready = (
        Approval.objects.filter(signature_id__in=held)
        .values("signature_id")
        .annotate(n=Count("user", distinct=True))
        .filter(n__gte=APPROVALS_NEEDED)
        .values_list("signature_id", flat=True)
    )
    released, _ = signature_transition(
        signature_ids=list(ready),
        to=Status.CONFIRMED,
        actor=actor,
        reason=f"approved by {APPROVALS_NEEDED} organisers",
        only_from={Status.HELD},
        via="approval",
    )
    return new, sorted(already), released


@transaction.atomic
def signature_release_busy(*, signature_ids, actor):
    """List held signatures whose one reason to wait was a busy network or email domain, in one organiser's action:
    a room of people who signed on one Wi-Fi is released as a batch. A name on the watchlist still needs its two
    approvals. Returns (released_ids, kept_ids)."""
    ids = list(signature_ids)
    held = Signature.objects.filter(pk__in=ids, status=Status.HELD).exclude(review_reason="").values_list("pk", "name")
    releasable = [pk for pk, name in held if not name_review_reason(name)]
    released, _ = signature_transition(
        signature_ids=releasable,
        to=Status.CONFIRMED,
        actor=actor,
        reason="released by an organiser: busy network reviewed",
        only_from={Status.HELD},
        via="approval",
        extra={"review_reason": ""},
    )
    return released, sorted(set(ids) - set(released))


def signature_set_notable(*, signature_ids, notable, actor):
    return _signature_flag_set(
        Signature.objects.filter(pk__in=list(signature_ids)),
        flag="notable",
        value=notable,
        actor=actor,
        reason="marked notable" if notable else "notable mark removed",
    )


def signature_set_initiator(*, signature_ids, initiator, actor):
    """Show signatures among the letter's initiators, at the top of the letter page, or stop. Only verified
    signatures are shown there (organisers vouch for them); a signature that stops being verified drops out of the
    section by itself. Returns the ids that changed."""
    chosen = Signature.objects.filter(pk__in=list(signature_ids))
    return _signature_flag_set(
        chosen.filter(status=Status.VERIFIED) if initiator else chosen,
        flag="initiator",
        value=initiator,
        actor=actor,
        reason="shown among the initiators" if initiator else "no longer shown among the initiators",
    )


@transaction.atomic
def _signature_flag_set(signatures, *, flag, value, actor, reason):
    """Set a display flag (notable, initiator) on `signatures`, audited; the cached names on the letter page are
    forgotten. Returns the ids that changed."""
    ids = list(signatures.exclude(**{flag: value}).values_list("pk", flat=True))
    Signature.objects.filter(pk__in=ids).update(**{flag: value})
    letter_ids = Signature.objects.filter(pk__in=ids).values_list("letter_id", flat=True).distinct()
    forget_now_and_at_commit(*notable_preview_keys(letter_ids))
    AuditEvent.objects.bulk_create(
        [AuditEvent(action=AuditEvent.Action.NOTABLE, signature_id=pk, actor=actor, reason=reason) for pk in ids],
        batch_size=1000,
    )
    return ids


def watchlist_recorded(*, actor, name, change):
    AuditEvent.objects.create(action=AuditEvent.Action.WATCHLIST, actor=actor, reason=f"{change}: {name}")
    watchlist_changed()


@transaction.atomic
def watchlist_hold_lookalikes(*, name, actor):
    """Hold the listed signatures whose name looks like `name`, just added to the watchlist: a fake signed before
    the name was watched goes back to review like one signed after. Returns the held ids.

    The stored skeletons are narrowed in the database to those holding a piece of every word (an index serves it on
    PostgreSQL), and names.looks_like decides on the few that are left.
    """
    listed_words = names.name_words(name)
    if not listed_words:
        return []
    query = Q()
    for pieces in names.search_fragments(listed_words):
        query &= reduce(or_, (Q(name_skeleton__contains=piece) for piece in pieces))
    candidates = Signature.objects.filter(query, status__in=Signature.LISTED_STATUSES).values_list(
        "pk", "name_skeleton"
    )
    lookalikes = [
        pk for pk, stored in candidates.iterator(chunk_size=2000) if names.looks_like(stored.split(), listed_words)
    ]
    held, _ = signature_transition(
        signature_ids=lookalikes, to=Status.HELD, actor=actor, reason=f"looks like: {name} (added to the watchlist)"
    )
    return held


def export_recorded(*, actor, count, description):
    AuditEvent.objects.create(action=AuditEvent.Action.EXPORT, actor=actor, reason=f"{count} rows: {description}")


@transaction.atomic
def signature_purge_withdrawn():
    """Erase the personal data of signatures withdrawn longer ago than the retention period; keep the rows,
    so the number of withdrawals stays known."""
    cutoff = timezone.now() - settings.UNCONFIRMED_RETENTION
    ids = list(
        Signature.objects.filter(status=Status.WITHDRAWN, status_changed_at__lt=cutoff)
        .exclude(email_domain=ERASED_DOMAIN)
        .values_list("pk", flat=True)
    )
    return signature_erase_personal_data(signature_ids=ids)


ERASED_DOMAIN = "withdrawn.invalid"


@transaction.atomic
def signature_erase_personal_data(*, signature_ids):
    """Blank who signed, keeping the row (its state still counts in the history); mails and links go too."""
    ids = list(signature_ids)
    OutgoingMail.objects.filter(signature_id__in=ids).delete()
    ConfirmationToken.objects.filter(signature_id__in=ids).delete()
    ChannelProof.objects.filter(signature_id__in=ids).delete()
    Signature.objects.filter(pk__in=ids).update(
        channel_verified_at=None,
        name="",
        name_skeleton="",
        email=Concat(Value("withdrawn-"), Cast("pk", CharField()), Value(f"@{ERASED_DOMAIN}")),
        # The key is the address in another form: it goes too, and the person may sign again.
        mailbox_key=Concat(Value("withdrawn-"), Cast("pk", CharField()), Value(f"@{ERASED_DOMAIN}")),
        email_domain=ERASED_DOMAIN,
        affiliation="",
        country="",
        profile_url="",
        public=False,
        ip_prefix_hash="",
    )
    personal_data_erased.send(sender=Signature, signature_ids=ids)
    return len(ids)


# What a signer may withdraw from their page: listed, or waiting for an organiser.
SIGNER_WITHDRAWABLE = (*Signature.LISTED_STATUSES, Status.HELD)


def signature_withdraw_by_signer(*, signature_ids):
    """The signer's own withdrawal, from their member page: off the list and out of the counts at once."""
    return signature_transition(
        signature_ids=signature_ids,
        to=Status.WITHDRAWN,
        reason="withdrawn by the signer (signed in)",
        only_from=set(SIGNER_WITHDRAWABLE),
    )


def withdrawal_undo_until(signature):
    """Until when the signer may take back their withdrawal; None when they no longer can (too late, erased)."""
    if signature.status != Status.WITHDRAWN or signature.email_domain == ERASED_DOMAIN:
        return None
    until = (signature.status_changed_at or timezone.now()) + settings.WITHDRAWAL_UNDO
    return until if until > timezone.now() else None


@transaction.atomic
def signature_undo_withdrawal(*, signature_id):
    """The signer changed their mind: back on the list as it was before (held if it waited for review, or if its
    name must now be reviewed; a verification, which was dropped on withdrawal, is not given back). Returns the
    new state, or None when the withdrawal can no longer be taken back."""
    signature = Signature.objects.select_for_update().filter(pk=signature_id).first()
    if signature is None or withdrawal_undo_until(signature) is None:
        return None
    before = (
        AuditEvent.objects.filter(signature=signature, action=AuditEvent.Action.TRANSITION, to_status=Status.WITHDRAWN)
        .order_by("-created_at", "-id")
        .values_list("from_status", flat=True)
        .first()
    )
    held = before == Status.HELD or bool(name_review_reason(signature.name))
    to = Status.HELD if held else Status.CONFIRMED
    moved, _ = signature_transition(
        signature_ids=[signature.pk], to=to, reason="withdrawal taken back by the signer", via="signer"
    )
    return to if moved else None


@transaction.atomic
def signature_update_by_signer(*, signature, name, affiliation, profile_url, public):
    """Change how a signature is shown. A new name is checked again: a watchlisted one goes back to review,
    and an organiser's verification, which was of the old name, no longer holds."""
    changed = [
        field
        for field, value in (("name", name), ("affiliation", affiliation), ("profile_url", profile_url))
        if getattr(signature, field) != value
    ]
    if signature.public != public:
        changed.append("shown on the list" if public else "hidden from the list")
    if not changed:
        return signature
    signature.name, signature.affiliation, signature.profile_url, signature.public = (
        name,
        affiliation,
        profile_url,
        public,
    )
    signature.full_clean(validate_unique=False, validate_constraints=False)
    Signature.objects.filter(pk=signature.pk).update(
        name=name,
        name_skeleton=names.name_skeleton(name),
        affiliation=affiliation,
        profile_url=profile_url,
        public=public,
    )
    AuditEvent.objects.create(
        action=AuditEvent.Action.EDIT, signature=signature, reason="changed by the signer: " + ", ".join(changed)
    )
    forget_now_and_at_commit(*notable_preview_keys([signature.letter_id]))
    if "profile_url" in changed:
        # The "channel verified" mark was for the old link: proven again, or not shown.
        Signature.objects.filter(pk=signature.pk).update(channel_verified_at=None)
        ChannelProof.objects.filter(signature=signature).update(status=ChannelProof.Status.PENDING)
    if "name" in changed:
        # Organisers approved the old name: a held signature needs two approvals of the new one.
        Approval.objects.filter(signature=signature).delete()
        held = name_review_reason(name)
        if held and signature.status in Signature.LISTED_STATUSES:
            signature_transition(signature_ids=[signature.pk], to=Status.HELD, reason=f"renamed: {held}")
        elif signature.status == Status.VERIFIED:
            signature_transition(
                signature_ids=[signature.pk],
                to=Status.CONFIRMED,
                reason="renamed: the verification was of the old name",
            )
    signature.refresh_from_db()
    return signature


@transaction.atomic
def organisation_set_status(*, organisation_ids, status, actor):
    """Verify (list) or reject organisations; audited. Returns the ids that changed."""
    rows = list(
        Organisation.objects.select_for_update()
        .filter(pk__in=list(organisation_ids))
        .exclude(status=status)
        .values_list("pk", "name", "status")
    )
    ids = [pk for pk, _name, _status in rows]
    verified = status == Organisation.Status.VERIFIED
    Organisation.objects.filter(pk__in=ids).update(
        status=status, verified_by=actor if verified else None, verified_at=timezone.now() if verified else None
    )
    # The letter page lists the verified organisations from the cache.
    letter_ids = Organisation.objects.filter(pk__in=ids).values_list("letter_id", flat=True).distinct()
    forget_now_and_at_commit(*notable_preview_keys(letter_ids))
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                action=AuditEvent.Action.ORGANISATION,
                actor=actor,
                from_status=before,
                to_status=status,
                reason=f"organisation: {name}",
            )
            for _pk, name, before in rows
        ]
    )
    return ids
