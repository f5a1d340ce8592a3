from allauth.account.models import EmailAddress
from django.db.models import Q

from coalition.mail.models import OutgoingMail
from coalition.signatures.models import Signature
from coalition.signatures.signals import signer_data_requested

from .models import MemberProfile, UpdatesOptOut, address_key


def member_emails(*, user):
    """The addresses this member has proven are theirs: the only key to their signatures."""
    if not user.is_authenticated:
        return []
    return sorted(
        {e.lower() for e in EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)}
    )


def member_signatures(*, user):
    """Signatures made with one of the member's verified addresses, and nobody else's."""
    return (
        Signature.objects.filter(email__in=member_emails(user=user))
        .select_related("letter", "letter_version")
        .order_by("-created_at", "-id")
    )


def _signature_data(signature):
    version = signature.letter_version
    return {
        "id": signature.pk,
        "letter": signature.letter.name,
        "letter_version": {
            "number": version.number,
            "language": version.language,
            "title": version.title,
            "text": version.body,
        },
        "name": signature.name,
        "email": signature.email,
        "craft": signature.craft,
        "affiliation": signature.affiliation,
        "country": signature.country.code or "",
        "profile_url": signature.profile_url,
        "shown_on_public_list": signature.public,
        "language": signature.language,
        "status": signature.status,
        "consent_text": signature.consent_text,
        "signed_at": signature.created_at,
        "confirmed_at": signature.confirmed_at,
        "status_changed_at": signature.status_changed_at,
        "verification_method": signature.verification_method,
        "verified_at": signature.verified_at,
        "notable": signature.notable,
        "network_hash": signature.ip_prefix_hash,
        "history": [
            {
                "at": event.created_at,
                "action": event.action,
                "from": event.from_status,
                "to": event.to_status,
                "reason": event.reason,
                # Which organiser acted is theirs to know, not the member's.
                "by": "organiser" if event.actor_id else "",
            }
            for event in signature.audit_events.all()
        ],
    }


def member_data(*, user):
    """Everything the coalition holds about this member, for them to download."""
    emails = member_emails(user=user)
    profile = MemberProfile.objects.filter(user=user).first()
    signatures = member_signatures(user=user).prefetch_related("audit_events")
    sections = signer_data_requested.send(sender=Signature, signature_ids=[s.pk for s in signatures])
    return {
        "account": {
            "email_addresses": [
                {"email": a.email, "verified": a.verified, "primary": a.primary}
                for a in EmailAddress.objects.filter(user=user).order_by("email")
            ],
            "joined_at": user.date_joined,
            "last_sign_in_at": user.last_login,
            "has_password": user.has_usable_password(),
        },
        "profile": {
            "crafts": profile.crafts,
            "union_or_guild": profile.union,
            "country": profile.country.code or "",
            "bio": profile.bio,
            "coalition_updates": {
                "subscribed": profile.wants_updates,
                "consent_text": profile.updates_consent_text,
                "consented_at": profile.updates_consented_at,
                "revoked_at": profile.updates_revoked_at,
            },
        }
        if profile
        else None,
        "signatures": [_signature_data(s) for s in signatures],
        "mails_sent_to_you": [
            {"kind": m.kind, "to": m.to, "status": m.status, "queued_at": m.created_at, "sent_at": m.sent_at}
            for m in OutgoingMail.objects.filter(to__in=emails).order_by("created_at")
        ],
        **dict(answer for _receiver, answer in sections),
    }


def wanting_updates(path=""):
    """The members who consented to coalition updates and did not revoke it; `path` leads from the model queried to
    the MemberProfile ("user__member_profile__")."""
    return Q(**{f"{path}updates_consented_at__isnull": False, f"{path}updates_revoked_at__isnull": True})


def update_members_after(*, after, size):
    """The ids of the next `size` members, by user id after `after`, who want coalition updates."""
    return list(
        MemberProfile.objects.filter(wanting_updates(), user_id__gt=after)
        .order_by("user_id")
        .values_list("user_id", flat=True)[:size]
    )


def update_recipients(*, emails=None, users=None):
    """[(user, address)] to send a coalition update to: members who consented and did not revoke it, one verified
    address each (the primary first), minus members whose one-click unsubscribe of one of those addresses came after
    the consent (mails sent before the address had an account name only the address, so such an opt-out may not be
    on the profile yet). `emails` narrows it to those addresses, `users` to those user ids. Two queries, whatever the
    number of members."""
    addresses = EmailAddress.objects.filter(wanting_updates("user__member_profile__"), verified=True).select_related(
        "user__member_profile"
    )
    if emails is not None:
        addresses = addresses.filter(email__in=emails)
    if users is not None:
        addresses = addresses.filter(user_id__in=users)
    addresses = sorted(addresses, key=lambda a: (a.user_id, not a.primary, a.email))
    keys = {a.pk: address_key(a.email) for a in addresses}
    opted_out = dict(
        UpdatesOptOut.objects.filter(address_key__in=keys.values()).values_list("address_key", "created_at")
    )
    stopped = {
        a.user_id
        for a in addresses
        if keys[a.pk] in opted_out and opted_out[keys[a.pk]] >= a.user.member_profile.updates_consented_at
    }
    chosen = {}
    for a in addresses:
        if a.user_id not in stopped:
            chosen.setdefault(a.user_id, a)
    return [(a.user, a.email) for a in chosen.values()]
