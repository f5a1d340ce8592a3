"""The signatures app's mails, as the outbox renders them and decides whether they are still owed."""

from coalition.mail.kinds import mail_kind_register
from coalition.mail.models import OutgoingMail

from .models import Organisation, Signature
from .services import organisation_confirmation_link, signature_confirmation_links


def _signature_confirmation_context(mails):
    links = signature_confirmation_links(signatures=[mail.signature for mail in mails])
    return {mail.pk: {"confirm_url": links[mail.signature_id]} for mail in mails}


def _signature_confirmation_owed(mail):
    return mail.signature is not None and mail.signature.status == Signature.Status.PENDING


def _already_signed_owed(mail):
    return mail.signature is not None


def _organisation_confirmation_context(mails):
    return {mail.pk: {"confirm_url": organisation_confirmation_link(organisation=mail.organisation)} for mail in mails}


def _organisation_confirmation_owed(mail):
    organisation = mail.organisation
    return (
        organisation is not None
        and organisation.contact_confirmed_at is None
        and organisation.status != Organisation.Status.REJECTED
    )


def mail_kinds_register():
    mail_kind_register(
        OutgoingMail.Kind.SIGNATURE_CONFIRMATION,
        context=_signature_confirmation_context,
        still_owed=_signature_confirmation_owed,
    )
    mail_kind_register(OutgoingMail.Kind.ALREADY_SIGNED, still_owed=_already_signed_owed)
    mail_kind_register(
        OutgoingMail.Kind.ORGANISATION_CONFIRMATION,
        context=_organisation_confirmation_context,
        still_owed=_organisation_confirmation_owed,
    )
