import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from coalition.signatures.models import Signature

from . import selectors, services
from .forms import UPDATES_CONSENT_TEXT, ChannelForm, DeleteAccountForm, ProfileForm, SignatureDisplayForm

GET_OR_POST = ["GET", "HEAD", "POST"]


def _signature_forms(user, bound=None):
    """Each of the member's signatures with its forms and channel proof; `bound` is (signature_id, form) for the
    form just posted with errors."""
    rows = []
    for signature in services.member_signatures_with_undo(user=user):
        proof = getattr(signature, "channel_proof", None)
        display = SignatureDisplayForm(
            initial={
                "name": signature.name,
                "affiliation": signature.affiliation,
                "profile_url": signature.profile_url,
                "public": signature.public,
            },
            prefix=f"s{signature.pk}",
        )
        channel = ChannelForm(initial={"url": proof.url if proof else ""}, prefix=f"c{signature.pk}")
        if bound and bound[0] == signature.pk:
            if isinstance(bound[1], ChannelForm):
                channel = bound[1]
            else:
                display = bound[1]
        rows.append((signature, display, channel, proof))
    return rows


@never_cache
@login_required(login_url="account_request_login_code")
@require_safe
def home(request):
    context = {
        "signatures": list(selectors.member_signatures(user=request.user)),
        "profile": services.member_profile(user=request.user),
        "emails": selectors.member_emails(user=request.user),
    }
    return render(request, "accounts/home.html", context)


def _posted_signature_id(request):
    """The member's own signature named in the POST; 404 for anything else, before any field is judged, so that
    someone else's signature and none at all get the same answer whatever the action."""
    try:
        signature_id = int(request.POST.get("signature", ""))
    except ValueError:
        raise Http404 from None
    if not selectors.member_signatures(user=request.user).filter(pk=signature_id).exists():
        raise Http404
    return signature_id


SIGNATURE_ACTIONS = ("update", "withdraw", "undo_withdrawal", "channel", "recheck")


def _signature_action(request, signature_id, action, form):
    """Carry out one action on the member's own signature; True when done, False when `form` has errors."""
    user = request.user
    if action == "undo_withdrawal":
        state = services.member_signature_undo_withdrawal(user=user, signature_id=signature_id)
        if state == Signature.Status.HELD:
            messages.success(
                request,
                _("Your withdrawal is taken back: your signature waits for a quick check, then it is listed again."),
            )
        else:
            messages.success(
                request, _("Your withdrawal is taken back: your signature is on the list and in the counts again.")
            )
    elif action == "recheck":
        queued = services.member_channel_recheck(user=user, signature_id=signature_id)
        messages.success(request, _("Checking your channel now.") if queued else _("Checked a moment ago."))
    elif not form.is_valid():
        return False
    elif action == "channel":
        services.member_channel_proof(user=user, signature_id=signature_id, url=form.cleaned_data["url"])
        messages.success(request, _("Now place the text shown below on that page; we check it now and then."))
    else:
        services.member_signature_update(user=user, signature_id=signature_id, **form.cleaned_data)
        messages.success(request, _("Saved. The public list shows your changes now."))
    return True


@never_cache
@login_required(login_url="account_request_login_code")
@require_http_methods(GET_OR_POST)
def signature(request):
    bound, status = None, 200
    if request.method == "POST":
        signature_id = _posted_signature_id(request)
        action = request.POST.get("action")
        if action not in SIGNATURE_ACTIONS:
            raise Http404
        if action == "withdraw":
            # Never in one tap: the page that says what happens, and asks.
            return redirect("accounts:signature_withdraw", signature_id=signature_id)
        if action == "channel":
            form = ChannelForm(request.POST, prefix=f"c{signature_id}")
        else:
            form = SignatureDisplayForm(request.POST, prefix=f"s{signature_id}")
        try:
            if _signature_action(request, signature_id, action, form):
                return redirect("accounts:signature")
        except Signature.DoesNotExist:
            raise Http404 from None
        except services.MemberError as exc:
            messages.error(request, str(exc))
            return redirect("accounts:signature")
        except ValidationError as exc:
            form.add_error(None, exc)
        bound, status = (signature_id, form), 400
    context = {"rows": _signature_forms(request.user, bound), "emails": selectors.member_emails(user=request.user)}
    return render(request, "accounts/signature.html", context, status=status)


@never_cache
@login_required(login_url="account_request_login_code")
@require_http_methods(GET_OR_POST)
def signature_withdraw(request, signature_id):
    """Withdrawing asks first, on its own page, and says what happens and how to take it back."""
    try:
        signature = services.member_signature_withdrawable(user=request.user, signature_id=signature_id)
    except Signature.DoesNotExist:
        raise Http404 from None
    if request.method == "POST":
        try:
            until = services.member_signature_withdraw(user=request.user, signature_id=signature.pk)
        except services.MemberError as exc:
            messages.error(request, str(exc))
        else:
            message = _("Your signature is withdrawn: it has left the list and the counts.")
            if until:
                message += " " + _("Changed your mind? You can take it back below until %(date)s.") % {
                    "date": date_format(until, "DATE_FORMAT")
                }
            messages.success(request, message)
        return redirect("accounts:signature")
    context = {"signature": signature, "undo_days": settings.WITHDRAWAL_UNDO.days}
    return render(request, "accounts/signature_withdraw.html", context)


@never_cache
@login_required(login_url="account_request_login_code")
@require_http_methods(GET_OR_POST)
def profile(request):
    current = services.member_profile(user=request.user)
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            services.member_profile_update(
                user=request.user,
                crafts=data["crafts"],
                union=data["union"],
                country=data["country"],
                bio=data["bio"],
                wants_updates=data["updates"],
                consent_text=str(UPDATES_CONSENT_TEXT),
            )
            messages.success(request, _("Your profile is saved."))
            return redirect("accounts:profile")
    else:
        form = ProfileForm(initial=services.member_profile_initial(user=request.user, profile=current))
    status = 400 if form.is_bound else 200
    return render(request, "accounts/profile.html", {"form": form, "profile": current}, status=status)


@never_cache
@login_required(login_url="account_request_login_code")
@require_safe
def data_export(request):
    services.member_opt_outs_apply(user=request.user)
    data = selectors.member_data(user=request.user)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False, default=str), content_type="application/json; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="creators-coalition-my-data-{stamp}.json"'
    return response


@never_cache
@login_required(login_url="account_request_login_code")
@require_http_methods(GET_OR_POST)
def delete(request):
    form = DeleteAccountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_delete(user=request.user)
        except services.MemberError as exc:
            form.add_error(None, str(exc))
        else:
            logout(request)
            return render(request, "accounts/deleted.html")
    status = 400 if form.is_bound else 200
    return render(request, "accounts/delete.html", {"form": form}, status=status)


# Mail clients post here with no CSRF token (RFC 8058 one-click); the signed token is the authority, and the only
# thing it can do is stop mail.
@csrf_exempt
@never_cache
@require_http_methods(GET_OR_POST)
def unsubscribe(request, token):
    if services.unsubscribe_check(token=token) is None:
        return render(request, "accounts/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        services.updates_unsubscribe(token=token)
        return render(request, "accounts/unsubscribe.html", {"done": True})
    return render(request, "accounts/unsubscribe.html", {"token": token})


@require_safe
def privacy(request):
    context = {
        "unconfirmed_days": settings.UNCONFIRMED_RETENTION.days,
        "withdrawn_days": settings.UNCONFIRMED_RETENTION.days,
        "token_days": settings.SIGNATURE_TOKEN_TTL.days,
        "code_minutes": settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT // 60,
    }
    return render(request, "accounts/privacy.html", context)
