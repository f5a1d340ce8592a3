"""Sending one outbox row: claim it, render it, hand it to SMTP, record the outcome."""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .kinds import mail_headers, mail_kind
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


def _claim(mail_id):
    now = timezone.now()
    return (
        OutgoingMail.objects.filter(pk=mail_id)
        .filter(
            Q(status=OutgoingMail.Status.QUEUED)
            | Q(status=OutgoingMail.Status.SENDING, claimed_at__lt=now - settings.MAIL_CLAIM_TIMEOUT)
        )
        .update(status=OutgoingMail.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )


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


def mail_message(mail):
    """The message for an outbox row: as stored when it was rendered at queue time (sign-in codes), else rendered
    now from the current state by the kind's templates."""
    if mail.body_text:
        subject, text, html = mail.subject, mail.body_text, mail.body_html
    else:
        context = {
            "site_url": settings.SITE_URL,
            "signature": mail.signature,
            "organisation": mail.organisation,
            "update": mail.update,
        }
        extra = mail_kind(mail.kind).context
        if extra is not None:
            context.update(extra(mail))
        subject, text, html = mail_render(kind=mail.kind, language=mail.language, context=context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[mail.to], headers=mail_headers(to=mail.to))
    if html:
        message.attach_alternative(html, "text/html")
    return message


def mail_send(*, mail_id):
    """Send one outbox row, at most once. Raises TemporaryMailError when a retry may succeed."""
    if not _claim(mail_id):
        return "skipped"
    mail = OutgoingMail.objects.select_related("signature", "organisation", "update").get(pk=mail_id)
    if not mail_is_still_owed(mail):
        OutgoingMail.objects.filter(pk=mail_id).update(status=OutgoingMail.Status.SENT, last_error="no longer needed")
        return "not needed"
    message = mail_message(mail)
    try:
        message.send()
    except Exception as exc:
        temporary = _is_temporary(exc)
        OutgoingMail.objects.filter(pk=mail_id).update(
            status=OutgoingMail.Status.QUEUED if temporary else OutgoingMail.Status.FAILED,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        if temporary:
            raise TemporaryMailError(str(exc)) from exc
        logger.error("Mail %s refused for good: %s", mail_id, exc)
        return "failed"
    # Sign-in codes and links are not kept once delivered.
    OutgoingMail.objects.filter(pk=mail_id).update(
        status=OutgoingMail.Status.SENT, sent_at=timezone.now(), body_text="", body_html=""
    )
    return "sent"


def mail_give_up(*, mail_id, error):
    OutgoingMail.objects.filter(pk=mail_id, status=OutgoingMail.Status.QUEUED).update(
        status=OutgoingMail.Status.FAILED, last_error=error[:2000]
    )
