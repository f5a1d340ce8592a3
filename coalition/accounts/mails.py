"""The accounts app's mails, and the one-click unsubscribe every mail carries."""

from coalition.mail.kinds import mail_headers_register, mail_kind_register
from coalition.mail.models import OutgoingMail

from .selectors import update_recipients
from .services import unsubscribe_url


def _account_owed(mail):
    # Rendered when queued (allauth's codes live in the session); the text is erased once sent.
    return bool(mail.body_text)


def _coalition_update_context(mail):
    subject, text = mail.update.text(mail.language)
    return {"subject": subject, "text": text, "unsubscribe_url": unsubscribe_url(email=mail.to)}


def _coalition_update_owed(mail):
    # Checked again when sent: an unsubscribe between the organiser's click and this mail stops it.
    return mail.update is not None and bool(update_recipients(emails=[mail.to]))


def _unsubscribe_headers(to):
    """A one-click way out of coalition updates (RFC 2369 and RFC 8058), on every mail."""
    url = unsubscribe_url(email=to)
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def mail_kinds_register():
    mail_kind_register(OutgoingMail.Kind.ACCOUNT, still_owed=_account_owed)
    mail_kind_register(
        OutgoingMail.Kind.COALITION_UPDATE,
        context=_coalition_update_context,
        still_owed=_coalition_update_owed,
        queue="bulk",
    )
    mail_headers_register(_unsubscribe_headers)
