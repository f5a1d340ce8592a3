"""What the apps above `mail` tell it about their mails: how each kind renders, whether a mail is still owed when its
turn comes, and the headers every mail carries. Each app registers its own kinds in its AppConfig.ready(), so that
`mail` sends what it is handed without importing the apps that queue it."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class MailKind:
    # [mails of this kind] -> {mail.pk: extra template context for emails/<kind>_*}: one call for a whole batch, so
    # that what the context reads (a confirmation's token, an update's unsubscribe link) is one query, not one a mail.
    context: Callable | None = None
    # mail -> False when the reason for the mail went away meanwhile (confirmed already, unsubscribed).
    still_owed: Callable | None = None
    # "mail" (confirmations, sign-in codes: served first) or "bulk" (updates to many: sent at MAIL_BULK_RATE).
    queue: str = "mail"


_kinds = {}
_header_providers = []


QUEUES = ("mail", "bulk")


def mail_kind_register(kind, *, context=None, still_owed=None, queue="mail"):
    """Tell the outbox how to render `kind`, when it is no longer owed, and on which queue it waits. Registering a
    kind again replaces it."""
    if queue not in QUEUES:
        raise ValueError(f"unknown mail queue {queue!r}")
    _kinds[str(kind)] = MailKind(context=context, still_owed=still_owed, queue=queue)


def mail_kind(kind):
    try:
        return _kinds[str(kind)]
    except KeyError:
        raise LookupError(f"no app registered the mail kind {kind!r}") from None


def mail_kinds_on(queue):
    """The kinds waiting on `queue`."""
    return [kind for kind, registered in _kinds.items() if registered.queue == queue]


def mail_headers_register(provider):
    """`provider(addresses)` returns {address: headers} for mails to each of `addresses`, read for a whole batch at
    once (the accounts app's one-click unsubscribe)."""
    if provider not in _header_providers:
        _header_providers.append(provider)


def mail_headers(*, addresses):
    """{address: the headers every mail to it carries}."""
    headers = {address: {} for address in addresses}
    for provider in _header_providers:
        for address, provided in provider(list(headers)).items():
            headers[address].update(provided)
    return headers
