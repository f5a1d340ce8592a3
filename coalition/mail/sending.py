"""Sending one outbox row: claim it, render it, hand it to SMTP, record the outcome."""

import logging
import random
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .kinds import mail_headers, mail_kind, mail_kinds_on
from .models import OutgoingMail

logger = logging.getLogger(__name__)


class TemporaryMailError(Exception):
    """Sending failed in a way worth retrying (SMTP down, 4xx answers)."""


def _is_temporary(exc):
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500 or exc.smtp_code in (-1, 421)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    return isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError))


def _is_unreachable(exc):
    """The server, not this message: no connection, or a connection lost."""
    if isinstance(exc, (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


def _claimable(now):
    return Q(status=OutgoingMail.Status.QUEUED) | Q(
        status=OutgoingMail.Status.SENDING, claimed_at__lt=now - settings.MAIL_CLAIM_TIMEOUT
    )


@transaction.atomic
def mail_claim(*, mail_id=None, queue="mail", size=1):
    """Claim up to `size` owed rows for this worker: `mail_id` first (when it is still owed), then the oldest owed
    rows of `queue` (none when `queue` is None). Rows another worker holds are skipped (SKIP LOCKED), so two workers
    never claim one row; a claim older than MAIL_CLAIM_TIMEOUT (a worker that died) may be taken again. Returns the
    claimed ids."""
    now = timezone.now()
    owed = OutgoingMail.objects.select_for_update(skip_locked=True).filter(_claimable(now))
    ids = []
    if mail_id is not None:
        ids = list(owed.filter(pk=mail_id).values_list("pk", flat=True))
    if queue and len(ids) < size:
        # Two plain queries rather than one sorted on "mail_id first": that sort cannot use an index, so during a
        # coalition update the claim sorted the whole owed backlog, bulk rows included, for every batch.
        ids += list(
            owed.filter(kind__in=mail_kinds_on(queue), created_at__lte=now)
            .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
            .exclude(pk__in=ids)
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)[: size - len(ids)]
        )
    if ids:
        # Conditional as well: on a database without row locks (SQLite) it is what keeps a claim single.
        OutgoingMail.objects.filter(_claimable(now), pk__in=ids).update(
            status=OutgoingMail.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    return ids


def mail_render(*, kind, language, context):
    """Subject, text body and HTML body from templates/emails/<kind>_{subject.txt,body.txt,body.html}."""
    with translation.override(language):
        subject = render_to_string(f"emails/{kind}_subject.txt", context).strip()
        text = render_to_string(f"emails/{kind}_body.txt", context)
        html = render_to_string(f"emails/{kind}_body.html", context)
    return " ".join(subject.split()), text, html


def mail_is_still_owed(mail):
    still_owed = mail_kind(mail.kind).still_owed
    return still_owed is None or still_owed(mail)


def mail_prepare(mails):
    """What rendering `mails` needs beyond the row, read for the batch at once: each kind's extra context (a
    confirmation's token, one INSERT for all of them) and the headers of every address (one query for all).
    Returns {mail.pk: (context, headers)}."""
    contexts, by_kind = {}, {}
    for mail in mails:
        if not mail.body_text:
            by_kind.setdefault(mail.kind, []).append(mail)
    for kind, same in by_kind.items():
        context = mail_kind(kind).context
        if context is not None:
            contexts.update(context(same))
    headers = mail_headers(addresses=[mail.to for mail in mails])
    return {mail.pk: (contexts.get(mail.pk, {}), headers[mail.to]) for mail in mails}


def mail_message(mail, *, connection=None, prepared=None):
    """The message for an outbox row: as stored when it was rendered at queue time (sign-in codes), else rendered
    now from the current state by the kind's templates. `prepared` is the row's entry of mail_prepare (read here
    when not given)."""
    extra, headers = prepared or mail_prepare([mail])[mail.pk]
    if mail.body_text:
        subject, text, html = mail.subject, mail.body_text, mail.body_html
    else:
        context = {
            "site_url": settings.SITE_URL,
            "signature": mail.signature,
            "organisation": mail.organisation,
            "update": mail.update,
            **extra,
        }
        subject, text, html = mail_render(kind=mail.kind, language=mail.language, context=context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[mail.to], headers=headers, connection=connection)
    if html:
        message.attach_alternative(html, "text/html")
    return message


def mail_send_batch(*, mail_id=None, queue="mail", size=None):
    """Claim a batch of owed rows and send them over one SMTP connection, reopened after an error. Each row is sent
    at most once: its SENT state is written as soon as the server accepts it (a batch-end write would widen the
    window in which a killed worker sends again what was delivered); the other outcomes are written in bulk.

    Returns {mail_id: "sent" | "not needed" | "failed" | "temporary"}; rows left "temporary" are queued again, for
    the caller to retry with backoff."""
    ids = mail_claim(mail_id=mail_id, queue=queue, size=size or settings.MAIL_BATCH_SIZE)
    outcomes, errors = {}, {}
    if not ids:
        return outcomes
    mails = OutgoingMail.objects.select_related("signature", "organisation", "update").filter(pk__in=ids)
    connection = get_connection()
    unreachable = 0
    try:
        owed = []
        for mail in sorted(mails, key=lambda mail: ids.index(mail.pk)):
            if mail_is_still_owed(mail):
                owed.append(mail)
            else:
                outcomes[mail.pk] = "not needed"
        prepared = mail_prepare(owed)
        for mail in owed:
            try:
                # Opened here, not by send_messages: a backend that opens its own connection closes it after each
                # call, which would cost an SMTP handshake per mail. open() does nothing on an open connection.
                connection.open()
                connection.send_messages([mail_message(mail, connection=connection, prepared=prepared[mail.pk])])
            except Exception as exc:
                temporary = _is_temporary(exc)
                outcomes[mail.pk] = "temporary" if temporary else "failed"
                errors[mail.pk] = f"{type(exc).__name__}: {exc}"[:2000]
                if not temporary:
                    logger.error("Mail %s refused for good: %s", mail.pk, exc)
                # Whatever the server thinks of this session now, the next message gets a fresh one.
                connection.close()
                unreachable = unreachable + 1 if _is_unreachable(exc) else 0
                if unreachable >= 2:
                    break  # a fresh connection failed too: the rest of the batch waits for the retry
                continue
            unreachable = 0
            # Sign-in codes and links are not kept once delivered.
            OutgoingMail.objects.filter(pk=mail.pk).update(
                status=OutgoingMail.Status.SENT, sent_at=timezone.now(), body_text="", body_html=""
            )
            outcomes[mail.pk] = "sent"
    finally:
        connection.close()
        if unreachable:
            # Not tried: back to the queue with the error that stopped the batch, like the rows that met it.
            error = errors[next(reversed(errors))]
            for pk in ids:
                if pk not in outcomes:
                    outcomes[pk], errors[pk] = "temporary", error
        _record(outcomes, errors, claimed=ids, attempts={mail.pk: mail.attempts for mail in mails})
    return outcomes


def _record(outcomes, errors, *, claimed, attempts):
    """The outcomes other than "sent", in bulk; rows this worker claimed but never reached (it stopped on an
    unexpected error) go back to the queue as they were; a row refused for now waits out its backoff (retry_at)."""
    unreached = [pk for pk in claimed if pk not in outcomes]
    OutgoingMail.objects.filter(pk__in=unreached, status=OutgoingMail.Status.SENDING).update(
        status=OutgoingMail.Status.QUEUED, attempts=F("attempts") - 1
    )
    by_outcome = {}
    for pk, outcome in outcomes.items():
        by_outcome.setdefault(outcome, []).append(pk)
    OutgoingMail.objects.filter(pk__in=by_outcome.get("not needed", [])).update(
        status=OutgoingMail.Status.SENT, last_error="no longer needed"
    )
    now = timezone.now()
    # One UPDATE a row: each has its own backoff, and a refusal for now is rare.
    for pk in by_outcome.get("temporary", []):
        OutgoingMail.objects.filter(pk=pk).update(
            status=OutgoingMail.Status.QUEUED,
            last_error=errors[pk],
            retry_at=now + timedelta(seconds=retry_delay(attempts.get(pk, 1))),
        )
    # One UPDATE per distinct error (a server that refuses everything gives every row the same one).
    by_error = {}
    for pk in by_outcome.get("failed", []):
        by_error.setdefault(errors[pk], []).append(pk)
    for error, same in by_error.items():
        OutgoingMail.objects.filter(pk__in=same).update(status=OutgoingMail.Status.FAILED, last_error=error)


def retry_delay(attempts):
    """Seconds before a mail refused for now is tried again: doubling from MAIL_RETRY_BASE_SECONDS after each
    attempt, with jitter, so that the mails one outage refused do not all come back at once."""
    base = settings.MAIL_RETRY_BASE_SECONDS
    return base * 2 ** (max(attempts, 1) - 1) + random.uniform(0, base)


def mail_send(*, mail_id):
    """Send one outbox row, at most once. Raises TemporaryMailError when a retry may succeed."""
    outcomes = mail_send_batch(mail_id=mail_id, queue=None, size=1)
    outcome = outcomes.get(mail_id, "skipped")
    if outcome == "temporary":
        raise TemporaryMailError(OutgoingMail.objects.get(pk=mail_id).last_error)
    return outcome


def mail_give_up(*, mail_id, error):
    OutgoingMail.objects.filter(pk=mail_id, status=OutgoingMail.Status.QUEUED).update(
        status=OutgoingMail.Status.FAILED, last_error=error[:2000]
    )
