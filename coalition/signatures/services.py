import difflib
import hashlib
import logging
import secrets
import tempfile
from datetime import UTC, timedelta
from functools import lru_cache

from disposable_email_domains import blocklist as DISPOSABLE_DOMAINS
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.validators import validate_email as django_validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop
from django_countries import countries
from email_validator import EmailNotValidError, validate_email
from publicsuffixlist import PublicSuffixList

from coalition.core.csv_export import csv_lines
from coalition.mail.models import OutgoingMail
from coalition.mail.services import mail_queue, mail_queue_bulk, mails_enqueue

from .channel import FetchFailed, FetchRefused, fetch_text
from .mailboxes import mailbox_key
from .models import ChannelProof, ConfirmationToken, ListSnapshot, Organisation, Signature, Submission
from .moderation import ip_prefix_hash, signature_confirm_by_signer
from .selectors import PUBLIC_CSV_HEADER, list_snapshot_for_day, signatory_csv_rows

logger = logging.getLogger(__name__)


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


# Big shared mail providers, with their national domains: a near miss of one of these gets a "did you mean"
# (difflib, not a list of typos), an exact one never does (yahoo.co.uk is not a typo of yahoo.com), and none of
# them is rate-limited as one sender.
COMMON_DOMAINS = (
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.fr",
    "yahoo.co.uk",
    "yahoo.de",
    "yahoo.es",
    "yahoo.it",
    "yahoo.ca",
    "yahoo.com.au",
    "yahoo.co.jp",
    "yahoo.co.in",
    "ymail.com",
    "hotmail.com",
    "hotmail.fr",
    "hotmail.co.uk",
    "hotmail.de",
    "hotmail.es",
    "hotmail.it",
    "hotmail.be",
    "outlook.com",
    "outlook.fr",
    "outlook.de",
    "outlook.es",
    "live.com",
    "live.fr",
    "live.co.uk",
    "live.be",
    "live.ca",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "pm.me",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "wanadoo.fr",
    "sfr.fr",
    "neuf.fr",
    "bbox.fr",
    "gmx.com",
    "gmx.de",
    "gmx.fr",
    "gmx.net",
    "web.de",
    "t-online.de",
    "btinternet.com",
    "sky.com",
    "libero.it",
    "skynet.be",
    "bluewin.ch",
    "yandex.com",
    "mail.com",
    "comcast.net",
)


def email_is_disposable(email):
    domain = email.rsplit("@", 1)[-1]
    parts = domain.split(".")
    # sub.mailinator.com is as disposable as mailinator.com
    return any(".".join(parts[i:]) in DISPOSABLE_DOMAINS for i in range(len(parts) - 1))


# The ICANN part of the Public Suffix List, as shipped with the package (no download at run time): the domain one
# registers under .co.uk or .fr. Its private part (duckdns.org, github.io) would make every free subdomain one.
PUBLIC_SUFFIXES = PublicSuffixList(only_icann=True)
# "yahoo" -> the provider's domains, main one first.
_PROVIDERS = {}
for _domain in COMMON_DOMAINS:
    _PROVIDERS.setdefault(_domain.split(".")[0], []).append(_domain)


def email_suggestion(email):
    """'ada@gmail.com' for 'ada@gmial.com'; None when the domain looks right."""
    local, _, domain = email.rpartition("@")
    match = _domain_suggestion(domain)
    return f"{local}@{match}" if match else None


@lru_cache(maxsize=4096)
def _domain_suggestion(domain):
    # Remembered per domain: most people share a few dozen domains, and difflib compares against every one.
    if domain in COMMON_DOMAINS:
        return None
    suffix = PUBLIC_SUFFIXES.publicsuffix(domain, accept_unknown=False)
    if suffix is None or suffix == domain:
        # Not a real top-level domain (gmail.con, yahoo.cmo): the nearest provider domain, as a whole.
        match = difflib.get_close_matches(domain, COMMON_DOMAINS, n=1, cutoff=0.8)
        return match[0] if match else None
    name = domain[: -len(suffix) - 1].rsplit(".", 1)[-1]
    if name in _PROVIDERS:
        # A provider's name under a real suffix (live.de, outlook.it) is its own national domain, not a typo; but
        # gmail.co is gmail.com cut short.
        main = _PROVIDERS[name][0]
        main_suffix = main.split(".", 1)[1]
        return main if main_suffix != suffix and main_suffix.startswith(suffix) else None
    match = difflib.get_close_matches(name, _PROVIDERS, n=1, cutoff=0.8)
    if not match:
        return None
    # hotmial.fr -> hotmail.fr when the provider has that domain, else its main one.
    domains = _PROVIDERS[match[0]]
    return next((d for d in domains if d == f"{match[0]}.{suffix}"), domains[0])


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def signature_build(
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
    review_reason="",
):
    """A checked, unsaved signature of `letter`. Raises ValidationError or ValueError for anything that cannot be
    stored. A `review_reason` (a busy network) makes the signature wait for an organiser once confirmed."""
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
        review_reason=review_reason,
    )
    # The letter and its version were just read by the caller: no need to look them up again. The country is
    # checked by its code: the field's own check translates and sorts 250 names to compare one code.
    signature.full_clean(
        exclude=["letter", "letter_version", "country"], validate_unique=False, validate_constraints=False
    )
    if country and country not in countries:
        raise ValidationError({"country": "unknown country code"})
    return signature


def signature_create(**fields):
    """Sign a letter (signature_build's arguments), or — for an inbox that already signed — owe that address a mail
    saying so. Returns (signature, created)."""
    return signature_store(signature_build(**fields))


def signature_store(signature, *, mails=None):
    """Store a built signature and owe its confirmation mail; for an inbox that already signed this letter, owe
    the right mail to it instead. Only the mail differs (no enumeration). Returns (signature, created).

    With a `mails` list, the mail owed is added to it for the caller to enqueue with others (mails_enqueue)."""
    first_mail = settings.SIGNATURE_MAX_MAILS > 0
    signature.mails_sent = 1 if first_mail else 0
    try:
        # A second submission of the same address fails on the unique constraint and is answered below.
        # A new row's first mail skips the daily cap: an address has one signature per letter, and the mails it
        # was sent went with any earlier row (on delete cascade). The cap guards the repeats, below.
        with transaction.atomic():
            signature.save()
            if first_mail:
                _mail_owe(
                    mails,
                    kind=OutgoingMail.Kind.SIGNATURE_CONFIRMATION,
                    to=signature.email,
                    language=signature.language,
                    signature=signature,
                )
        return signature, True
    except IntegrityError as exc:
        again = _signature_submitted_again(
            letter=signature.letter, email=signature.email, language=signature.language, mails=mails
        )
        if again is None:
            # Not the address's earlier signature (that would be found): the version was deleted meanwhile, or the
            # earlier row was erased between the two statements.
            raise ValueError("the signature could not be stored") from exc
        return again, False


def signatures_store(signatures, *, mails):
    """signature_store for a batch of built signatures, adding the mails owed to `mails`: the new ones and their
    confirmation mails in one INSERT each, instead of a savepoint and two INSERTs a signature. An inbox that already
    signed (or appears twice in the batch), and the whole batch should another worker store one of its inboxes
    meanwhile, take signature_store's way, one by one. A signature whose letter version is gone is dropped."""
    for signature in signatures:
        signature.derive()
    seen = _inboxes_signed(signatures)
    new, again = [], []
    for signature in signatures:
        key = (signature.letter_id, signature.mailbox_key)
        (again if key in seen else new).append(signature)
        seen.add(key)
    first_mail = settings.SIGNATURE_MAX_MAILS > 0
    try:
        with transaction.atomic():
            for signature in new:
                signature.mails_sent = 1 if first_mail else 0
            Signature.objects.bulk_create(new)
            if first_mail:
                owed = [
                    OutgoingMail(
                        kind=OutgoingMail.Kind.SIGNATURE_CONFIRMATION,
                        to=signature.email,
                        language=signature.language,
                        signature=signature,
                    )
                    for signature in new
                ]
                mails += mail_queue_bulk(owed, enqueue=False)
    except IntegrityError:
        # Signed meanwhile by another worker's batch: rebuilt, since a failed INSERT may have left them half-set.
        new, again = [], [Signature(**_signature_fields(signature)) for signature in signatures]
    for signature in again:
        try:
            signature_store(signature, mails=mails)
        except ValueError:
            # The version was deleted between the form and the worker: nothing to sign any more.
            logger.warning("signature of %s: its letter version is gone; dropped", signature.letter_id)


def _inboxes_signed(signatures):
    """{(letter_id, mailbox_key)} of `signatures` that already have a signature of their letter."""
    signed = Q(pk__in=[])
    for letter_id in {signature.letter_id for signature in signatures}:
        keys = [signature.mailbox_key for signature in signatures if signature.letter_id == letter_id]
        signed |= Q(letter_id=letter_id, mailbox_key__in=keys)
    return set(Signature.objects.filter(signed).values_list("letter_id", "mailbox_key"))


def _signature_fields(signature):
    return {field: getattr(signature, field) for field in Submission.SIGNATURE_FIELDS}


def _mail_owe(mails, **fields):
    """Queue a mail, enqueued on its own at commit; or, given a `mails` list, add it there to go with others."""
    mail = mail_queue(**fields, enqueue=mails is None)
    if mails is not None:
        mails.append(mail)


# Submissions one task takes at once: under a surge a task finds hundreds waiting, and one transaction for many is
# what lets the worker keep up with the form (a task and a commit per signature did not).
SUBMISSION_BATCH = 50


def submission_process(*, submission_id=None):
    """The worker's half of sign form submissions (submissions.signature_submit stores them): each becomes a new
    signature with its confirmation mail, or the mail an address that already signed gets. Takes the named one
    and the oldest others waiting, up to SUBMISSION_BATCH, under locks other workers skip, and deletes them with
    the signatures they became: safe to run twice, nothing done twice. Returns how many were processed."""
    with transaction.atomic():
        # of=("self",): locking the letter and version rows joined in would make every worker wait for the others.
        waiting = Submission.objects.select_for_update(skip_locked=True, of=("self",)).select_related(
            "letter", "letter_version"
        )
        batch = list(waiting.filter(pk=submission_id)) if submission_id else []
        batch += waiting.exclude(pk=submission_id or 0).order_by("created_at")[: SUBMISSION_BATCH - len(batch)]
        mails = []
        signatures_store([Signature(**_signature_fields(submission)) for submission in batch], mails=mails)
        Submission.objects.filter(pk__in=[submission.pk for submission in batch]).delete()
        mails_enqueue(mails)
    return len(batch)


def submissions_waiting(*, older_than):
    """How many submissions have waited longer than `older_than`: their task was lost (broker down when they were
    made, worker killed)."""
    return Submission.objects.filter(created_at__lt=timezone.now() - older_than).count()


@transaction.atomic
def _signature_submitted_again(*, letter, email, language, mails=None):
    """Same inbox, same letter (john.doe@gmail.com after johndoe@gmail.com): keep the first submission's details;
    mail the address it was signed with again, within its limits. None when the inbox has no signature of this
    letter."""
    signature = Signature.objects.select_for_update().filter(letter=letter, mailbox_key=mailbox_key(email)).first()
    if signature is None:
        return None
    # The address that signed first, not the spelling typed now: the same inbox, and the one the signature is for.
    email = signature.email
    if signature.mails_sent < settings.SIGNATURE_MAX_MAILS and mail_allowed_today(email=email):
        Signature.objects.filter(pk=signature.pk).update(mails_sent=F("mails_sent") + 1)
        kind = (
            OutgoingMail.Kind.SIGNATURE_CONFIRMATION
            if signature.status == Signature.Status.PENDING
            else OutgoingMail.Kind.ALREADY_SIGNED
        )
        _mail_owe(mails, kind=kind, to=email, language=language, signature=signature)
    return signature


def mail_allowed_today(*, email):
    """No address gets more than MAIL_MAX_PER_ADDRESS_PER_DAY mails from the form, whoever fills it in."""
    since = timezone.now() - timedelta(days=1)
    # Sign-in codes the address asked for itself, and updates it subscribed to, do not use up the form's allowance.
    sent = OutgoingMail.objects.filter(to=email, created_at__gte=since).exclude(
        kind__in=[OutgoingMail.Kind.ACCOUNT, OutgoingMail.Kind.COALITION_UPDATE]
    )
    return sent.count() < settings.MAIL_MAX_PER_ADDRESS_PER_DAY


def signature_confirmation_link(*, signature):
    """Issue a fresh token for `signature` and return the absolute link that carries it."""
    return signature_confirmation_links(signatures=[signature])[signature.pk]


def signature_confirmation_links(*, signatures):
    """Issue a fresh token for each of `signatures`, all in one INSERT (a batch of confirmation mails); returns
    {signature.pk: the absolute link that carries its token}."""
    tokens = {signature.pk: secrets.token_urlsafe(32) for signature in signatures}
    expires_at = timezone.now() + settings.SIGNATURE_TOKEN_TTL
    ConfirmationToken.objects.bulk_create(
        ConfirmationToken(signature_id=pk, token_hash=token_hash(token), expires_at=expires_at)
        for pk, token in tokens.items()
    )
    return {pk: settings.SITE_URL + reverse("signatures:confirm", args=[token]) for pk, token in tokens.items()}


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
    """Delete signatures never confirmed within the retention period, with their tokens and mails; and the
    endorsements still waiting whose contact never confirmed (a name and address anyone may have typed)."""
    cutoff = timezone.now() - settings.UNCONFIRMED_RETENTION
    _, deleted = Signature.objects.filter(status=Signature.Status.PENDING, created_at__lt=cutoff).delete()
    Organisation.objects.filter(
        status=Organisation.Status.PENDING, contact_confirmed_at__isnull=True, created_at__lt=cutoff
    ).delete()
    return deleted.get("signatures.Signature", 0)


def list_snapshot_take(*, letter, now=None):
    """Write the whole public list, as it stands, to a CSV file in the default storage and record its SHA-256
    and row count for the day (UTC), chained to the SHA-256 of the latest earlier snapshot. Safe to run again: a
    day that has its snapshot keeps it. Returns (snapshot, created)."""
    now = now or timezone.now()
    day = now.astimezone(UTC).date()
    existing = list_snapshot_for_day(letter=letter, day=day)
    if existing:
        return existing, False
    digest, size, rows = hashlib.sha256(), 0, 0

    def counted(source):
        nonlocal rows
        for row in source:
            rows += 1
            yield row

    # Streamed to a temporary file a row at a time: a million rows never sit in memory.
    with tempfile.TemporaryFile() as out:
        for line in csv_lines(header=PUBLIC_CSV_HEADER, rows=counted(signatory_csv_rows(letter=letter))):
            data = line.encode()
            digest.update(data)
            size += len(data)
            out.write(data)
        out.seek(0)
        name = default_storage.save(f"snapshots/{letter.slug}/{day.isoformat()}.csv", File(out))
    try:
        with transaction.atomic():
            previous = (
                ListSnapshot.objects.filter(letter=letter, day__lt=day)
                .order_by("-day")
                .values_list("sha256", flat=True)
                .first()
            )
            snapshot = ListSnapshot.objects.create(
                letter=letter,
                day=day,
                taken_at=now,
                rows=rows,
                size=size,
                sha256=digest.hexdigest(),
                prev_sha256=previous or "",
                file=name,
            )
    except IntegrityError:
        # Another run took the day's snapshot meanwhile: keep theirs, drop our copy.
        default_storage.delete(name)
        return list_snapshot_for_day(letter=letter, day=day), False
    return snapshot, True


@transaction.atomic
def organisation_create(*, letter, name, kind, website, contact_name, contact_email, country="", language="en"):
    """Record an organisation's endorsement, unlisted until an organiser verifies it, and mail the contact a link
    proving the address is theirs. Asking twice is harmless: an unconfirmed contact gets the link again, within the
    address's daily allowance. Returns (organisation, created)."""
    organisation = Organisation(
        letter=letter,
        name=name,
        kind=kind,
        website=website,
        country=country,
        contact_name=contact_name,
        contact_email=email_normalise(contact_email),
    )
    organisation.full_clean(validate_unique=False, validate_constraints=False)
    created = True
    try:
        with transaction.atomic():
            organisation.save()
    except IntegrityError:
        organisation = (
            Organisation.objects.select_for_update()
            .filter(letter=letter, contact_email=organisation.contact_email, name=name)
            .first()
        )
        if organisation is None:
            raise ValueError("the endorsement could not be stored") from None
        created = False
    # The daily cap holds for new rows too: a new name makes a new row, and this form must not mail an address
    # more often than the sign form may.
    if (
        organisation.contact_confirmed_at is None
        and organisation.status != Organisation.Status.REJECTED
        and mail_allowed_today(email=organisation.contact_email)
    ):
        mail_queue(
            kind=OutgoingMail.Kind.ORGANISATION_CONFIRMATION,
            to=organisation.contact_email,
            language=language,
            organisation=organisation,
        )
    return organisation, created


# Signed, not stored: every link mailed stays valid until it expires, so a second mail (or a retry of one) never
# spoils the first. "Used" is the organisation's own contact_confirmed_at.
_ORGANISATION_LINK_SALT = "coalition.organisation-contact"


def organisation_confirmation_link(*, organisation):
    """The absolute link that proves the contact of `organisation` reads their mail; valid SIGNATURE_TOKEN_TTL."""
    token = signing.dumps(organisation.pk, salt=_ORGANISATION_LINK_SALT, compress=False)
    return settings.SITE_URL + reverse("signatures:organisation_confirm", args=[token])


def organisation_token_check(*, token):
    """The organisation whose contact `token` was mailed to, or TokenError('unknown' | 'used' | 'expired')."""
    max_age = settings.SIGNATURE_TOKEN_TTL
    try:
        pk = signing.loads(token, salt=_ORGANISATION_LINK_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise TokenError("expired") from None
    except signing.BadSignature:
        raise TokenError("unknown") from None
    organisation = Organisation.objects.filter(pk=pk).first() if isinstance(pk, int) else None
    if organisation is None or organisation.status == Organisation.Status.REJECTED:
        raise TokenError("unknown")
    if organisation.contact_confirmed_at is not None:
        raise TokenError("used")
    return organisation


@transaction.atomic
def organisation_contact_confirm(*, token):
    """The contact proved they read the address: recorded once (a conditional UPDATE wins a double click)."""
    organisation = organisation_token_check(token=token)
    Organisation.objects.filter(pk=organisation.pk, contact_confirmed_at__isnull=True).update(
        contact_confirmed_at=timezone.now()
    )
    organisation.refresh_from_db()
    return organisation


@transaction.atomic
def channel_proof_check(*, proof_id):
    """Fetch the proof's URL and look for its token; the signature's "channel verified" mark follows.
    A fetch that failed for a passing reason keeps the mark as it was; a page without the token removes it."""
    proof = ChannelProof.objects.select_related("signature").filter(pk=proof_id).first()
    if proof is None:
        return "gone"
    now = timezone.now()
    try:
        found = proof.token in fetch_text(proof.url)
    except FetchRefused as exc:
        found, error = False, str(exc)
    except FetchFailed as exc:
        ChannelProof.objects.filter(pk=proof.pk).update(checked_at=now, last_error=str(exc)[:300])
        return "unreachable"
    else:
        # Stored in English, shown in the member's language (the page translates it).
        error = "" if found else gettext_noop("the token was not found on the page")
    status = ChannelProof.Status.VERIFIED if found else ChannelProof.Status.FAILED
    ChannelProof.objects.filter(pk=proof.pk).update(
        status=status, checked_at=now, last_error=error[:300], verified_at=now if found else None
    )
    counted = proof.signature.status in Signature.LISTED_STATUSES
    Signature.objects.filter(pk=proof.signature_id).update(channel_verified_at=now if found and counted else None)
    return status


def channel_proofs_due(*, limit=500):
    """Proofs whose last check is older than CHANNEL_RECHECK_INTERVAL: a channel can drop the token later."""
    cutoff = timezone.now() - settings.CHANNEL_RECHECK_INTERVAL
    return list(
        ChannelProof.objects.filter(status=ChannelProof.Status.VERIFIED, checked_at__lt=cutoff)
        .order_by("checked_at")
        .values_list("pk", flat=True)[:limit]
    )
