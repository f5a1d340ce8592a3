import difflib
import hashlib
import secrets
from datetime import timedelta

from disposable_email_domains import blocklist as DISPOSABLE_DOMAINS
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email as django_validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from email_validator import EmailNotValidError, validate_email

from coalition.mail.models import OutgoingMail
from coalition.mail.services import mail_queue

from .models import ConfirmationToken, Signature
from .moderation import ip_prefix_hash, signature_confirm_by_signer


class TokenError(Exception):
    """A confirmation link that cannot confirm anything. `reason` says why, for the page."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def email_normalise(raw):
    """Lower-cased, trimmed address with its domain in ASCII (punycode), so that the Unicode and the
    punycode spellings of one address are one address. Raises ValueError for anything that is not one."""
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc
    email = (result.ascii_email or result.normalized).lower()
    try:
        django_validate_email(email)  # what the model field will check again
    except ValidationError as exc:
        raise ValueError("This address cannot be stored.") from exc
    return email


# Domains people mistype most; a near miss of one of these gets a "did you mean" (difflib, not a list of typos).
COMMON_DOMAINS = (
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.fr",
    "hotmail.com",
    "hotmail.fr",
    "outlook.com",
    "live.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "wanadoo.fr",
    "sfr.fr",
    "gmx.com",
    "gmx.de",
    "web.de",
    "yandex.com",
    "mail.com",
    "comcast.net",
)


def email_is_disposable(email):
    domain = email.rsplit("@", 1)[-1]
    parts = domain.split(".")
    # sub.mailinator.com is as disposable as mailinator.com
    return any(".".join(parts[i:]) in DISPOSABLE_DOMAINS for i in range(len(parts) - 1))


def email_suggestion(email):
    """'ada@gmail.com' for 'ada@gmial.com'; None when the domain looks right."""
    local, _, domain = email.rpartition("@")
    if domain in COMMON_DOMAINS:
        return None
    match = difflib.get_close_matches(domain, COMMON_DOMAINS, n=1, cutoff=0.8)
    return f"{local}@{match[0]}" if match else None


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def signature_create(
    *,
    letter,
    letter_version,
    name,
    email,
    craft,
    consent_text,
    affiliation="",
    country="",
    profile_url="",
    public=True,
    language="en",
    ip="",
):
    """Sign `letter`, or — for an address that already signed — owe that address a mail saying so.

    The caller always shows the same answer; only the mail differs (no enumeration).
    Returns (signature, created).
    """
    if letter_version.letter_id != letter.pk:
        raise ValueError("version of another letter")
    email = email_normalise(email)
    signature = Signature(
        letter=letter,
        letter_version=letter_version,
        name=name,
        email=email,
        craft=craft,
        affiliation=affiliation,
        country=country,
        profile_url=profile_url,
        public=public,
        language=language,
        consent_text=consent_text,
        ip_prefix_hash=ip_prefix_hash(ip),
    )
    # The letter and its version were just read by the caller: no need to look them up again.
    signature.full_clean(exclude=["letter", "letter_version"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            signature.save()
        created = True
    except IntegrityError:
        # Same address, same letter: keep the first submission's details.
        signature = Signature.objects.select_for_update().get(letter=letter, email=email)
        created = False

    if signature.mails_sent < settings.SIGNATURE_MAX_MAILS and mail_allowed_today(email=email):
        Signature.objects.filter(pk=signature.pk).update(mails_sent=F("mails_sent") + 1)
        kind = (
            OutgoingMail.Kind.SIGNATURE_CONFIRMATION
            if signature.status == Signature.Status.PENDING
            else OutgoingMail.Kind.ALREADY_SIGNED
        )
        mail_queue(kind=kind, to=email, language=language, signature=signature)
    return signature, created


def mail_allowed_today(*, email):
    """No address gets more than MAIL_MAX_PER_ADDRESS_PER_DAY mails from the form, whoever fills it in."""
    since = timezone.now() - timedelta(days=1)
    return OutgoingMail.objects.filter(to=email, created_at__gte=since).count() < settings.MAIL_MAX_PER_ADDRESS_PER_DAY


def signature_confirmation_link(*, signature):
    """Issue a fresh token for `signature` and return the absolute link that carries it."""
    token = secrets.token_urlsafe(32)
    ConfirmationToken.objects.create(
        signature=signature,
        token_hash=token_hash(token),
        expires_at=timezone.now() + settings.SIGNATURE_TOKEN_TTL,
    )
    return settings.SITE_URL + reverse("signatures:confirm", args=[token])


def token_check(*, token, for_update=False):
    """The token row for `token`, or TokenError('unknown' | 'used' | 'expired')."""
    tokens = ConfirmationToken.objects.select_related("signature", "signature__letter_version")
    if for_update:
        tokens = tokens.select_for_update()
    row = tokens.filter(token_hash=token_hash(token)).first()
    if row is None:
        raise TokenError("unknown")
    if row.used_at is not None:
        raise TokenError("used")
    if row.expires_at <= timezone.now():
        raise TokenError("expired")
    return row


@transaction.atomic
def signature_confirm(*, token):
    """Confirm the signature behind `token`. Every link to that signature is spent."""
    row = token_check(token=token, for_update=True)
    now = timezone.now()
    ConfirmationToken.objects.filter(signature_id=row.signature_id, used_at__isnull=True).update(used_at=now)
    # Only a pending signature moves (a conditional update): of two racing confirmations, one wins,
    # and a signature an organiser already rejected stays rejected.
    signature_confirm_by_signer(signature_id=row.signature_id)
    row.signature.refresh_from_db()
    return row.signature


def signature_purge_unconfirmed():
    """Delete signatures never confirmed within the retention period, with their tokens and mails."""
    cutoff = timezone.now() - settings.UNCONFIRMED_RETENTION
    _, deleted = Signature.objects.filter(status=Signature.Status.PENDING, created_at__lt=cutoff).delete()
    return deleted.get("signatures.Signature", 0)
