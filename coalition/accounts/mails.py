"""The accounts app's mails, and the one-click unsubscribe every mail carries."""

from coalition.mail.kinds import mail_headers_register, mail_kind_register
from coalition.mail.models import OutgoingMail

from .selectors import update_recipients
from .services import unsubscribe_urls


def _account_owed(mail):
    # Rendered when queued (allauth's codes live in the session); the text is erased once sent.
    return bool(mail.body_text)


def _coalition_update_context(mails):
    urls = unsubscribe_urls(emails=[mail.to for mail in mails])
    contexts = {}
    for mail in mails:
        subject, text = mail.update.text(mail.language)
        contexts[mail.pk] = {"subject": subject, "text": text, "unsubscribe_url": urls[mail.to]}
    return contexts


def _coalition_update_owed(mail):
    # Checked again when sent: an unsubscribe between the organiser's click and this mail stops it.
    return mail.update is not None and bool(update_recipients(emails=[mail.to]))


def _unsubscribe_headers(addresses):
    """A one-click way out of coalition updates (RFC 2369 and RFC 8058), on every mail."""
    return {
        address: {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        for address, url in unsubscribe_urls(emails=addresses).items()
    }


def mail_kinds_register():
    mail_kind_register(OutgoingMail.Kind.ACCOUNT, still_owed=_account_owed)
    mail_kind_register(
        OutgoingMail.Kind.COALITION_UPDATE,
        context=_coalition_update_context,
        still_owed=_coalition_update_owed,
        queue="bulk",
    )
    mail_headers_register(_unsubscribe_headers)
