from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core import ratelimit
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from coalition.accounts.services import UNPROVEN_SESSION_KEY, member_is_unproven, member_password_drop
from coalition.mail.models import OutgoingMail
from coalition.mail.services import mail_queue
from coalition.signatures.forms import clean_email_address
from coalition.signatures.ratelimits import client_ip, client_network

# The code page already says where the code went; the code itself proved the address.
QUIET_MESSAGES = {"account/messages/login_code_sent.txt", "account/messages/email_confirmed.txt"}

# Failed passwords counted per account and per network (an IPv4 address or an IPv6 /64): settings.ACCOUNT_RATE_LIMITS.
LOGIN_FAILED_FROM_NETWORK = "login_failed_account_network"


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email):
        """Accounts use the addresses signatures use: one normalisation, so a signer's account finds their signature."""
        return clean_email_address(super().clean_email(email))

    def is_open_for_signup(self, request):
        """Nobody opens an account with a password of their own choosing: it could be on someone else's address.
        Members' accounts open with the first code mailed to a signer (MemberLoginCodeForm), organisers' with
        `manage.py createorganiser`."""
        return False

    def confirm_email(self, request, email_address):
        """Whoever proves an address through its mail owns the account; a password set on it before any address
        was proven was set by someone who never read that mail, and goes."""
        if member_is_unproven(user=email_address.user):
            member_password_drop(user=email_address.user)
        return super().confirm_email(request, email_address)

    def add_message(self, request, level, message_template=None, message_context=None, extra_tags="", message=None):
        """After a code sign-in allauth stacks three notes on the next page ("code sent", "address confirmed",
        "signed in as <username>"): the person needs one, and never the username we generated for them."""
        if message_template in QUIET_MESSAGES:
            return
        if message_template == "account/messages/logged_in.txt":
            message_template, message = None, _("You are signed in.")
        super().add_message(
            request,
            level,
            message_template=message_template,
            message_context=message_context,
            extra_tags=extra_tags,
            message=message,
        )

    def get_client_ip(self, request):
        """The client as the site's other limits see it (behind the proxy, the header it sets), so allauth's limits
        per address do not count everyone behind the proxy as one."""
        address = client_ip(request)
        return str(address) if address is not None else super().get_client_ip(request)

    def pre_authenticate(self, request, **credentials):
        """allauth locks an account after failed passwords from anywhere, so anyone could lock an organiser out.
        Here the lockout holds for the account from the network the failures came from; elsewhere its owner can still
        sign in (allauth's own cap on failures per network stays)."""
        super().pre_authenticate(request, **credentials)
        if not ratelimit.consume(
            request, action=LOGIN_FAILED_FROM_NETWORK, key=_login_key(request, credentials), dry_run=True
        ):
            raise self.validation_error("too_many_login_attempts")

    def authentication_failed(self, request, **credentials):
        ratelimit.consume(request, action=LOGIN_FAILED_FROM_NETWORK, key=_login_key(request, credentials))
        super().authentication_failed(request, **credentials)

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


def _login_key(request, credentials):
    login = (credentials.get("email") or credentials.get("username") or "").lower()
    return f"{client_network(request)} {login}"
