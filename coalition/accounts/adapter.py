from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.utils.translation import get_language

from coalition.accounts.services import UNPROVEN_SESSION_KEY, member_password_drop
from coalition.mail.models import OutgoingMail
from coalition.mail.services import mail_queue
from coalition.signatures.forms import clean_email_address


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email):
        """Accounts use the addresses signatures use: one normalisation, so a signer's account finds their signature."""
        return clean_email_address(super().clean_email(email))

    def login(self, request, user):
        proven_by_code = (request.session.get("account_authentication_methods") or [{}])[-1].get("method") == "code"
        if request.session.pop(UNPROVEN_SESSION_KEY, None) == user.pk and proven_by_code:
            member_password_drop(user=user)
        super().login(request, user)

    def send_mail(self, template_prefix, email, context):
        """allauth's mails (sign-in codes, address verification, password reset) go through our outbox, so they are
        sent by the worker with its retries and carry the same headers as every other mail. They are rendered from
        templates/account/email/ in the request's language, in the layout of our own mails (which need site_url)."""
        request = allauth_context.request
        ctx = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
            "site_url": settings.SITE_URL,
            "code_minutes": settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT // 60,
            **context,
        }
        message = self.render_mail(template_prefix, email, ctx)
        html = next((body for body, kind in getattr(message, "alternatives", []) if kind == "text/html"), "")
        text = message.body if message.content_subtype == "plain" else ""
        for recipient in message.to:
            mail_queue(
                kind=OutgoingMail.Kind.ACCOUNT,
                to=recipient,
                language=get_language() or "en",
                subject=message.subject,
                body_text=text or html,
                body_html=html if text else "",
            )
