from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from coalition.core.csv_export import csv_response
from coalition.core.models import Switches
from coalition.core.views import rate_limited
from coalition.letters.selectors import letter_current

from .forms import CONSENT_TEXT, SignForm
from .models import Craft
from .pages import CRAFT_PITCHES, CRAFT_PLURALS, share_links
from .ratelimits import sign_domain_limited, sign_ip_limited
from .selectors import (
    FilterError,
    craft_breakdown,
    signatory_filters,
    signatory_list,
    signatory_notable,
    signatory_notable_preview,
    signatory_public_dict,
    signatory_window,
    signature_counts,
)
from .services import TokenError, signature_confirm, signature_create, token_check


def _sign(request, letter, version, data):
    signature_create(
        letter=letter,
        letter_version=version,
        name=data["name"],
        email=data["email"],
        craft=data["craft"],
        affiliation=data["affiliation"],
        country=data["country"],
        profile_url=data["profile_url"],
        public=data["public"],
        language=get_language(),
        consent_text=str(CONSENT_TEXT),
        ip=request.META.get(settings.RATELIMIT_IP_META_KEY, ""),
    )


def _letter_page(request, *, craft=None):
    """The letter, the count and the form; on a craft's landing page the form starts on that craft."""
    letter = letter_current()
    version = letter.current_version(get_language())
    switches = Switches.current()
    form = SignForm(request.POST if request.method == "POST" else None, initial={"craft": craft} if craft else None)
    accepting = letter.is_open and version is not None and not switches.signing_paused
    if request.method == "POST" and accepting:
        if sign_ip_limited(request):
            return rate_limited(request)
        if form.is_bot:
            # Bots get the answer people get, and nothing is stored.
            return redirect("signatures:check_inbox")
    if request.method == "POST" and accepting and form.is_valid():
        data = form.cleaned_data
        if sign_domain_limited(request, email=data["email"]):
            return rate_limited(request)
        try:
            _sign(request, letter, version, data)
        except (ValidationError, ValueError):
            # The form and the model check the same things; if they ever disagree, the person gets the form back.
            form.add_error(None, _("We could not record this signature. Please check your details and try again."))
        else:
            return redirect("signatures:check_inbox")
    counts = signature_counts(letter=letter)
    context = {
        "letter": letter,
        "version": version,
        "switches": switches,
        "form": form,
        "counts": counts,
        "breakdown": craft_breakdown(counts),
        "notable": signatory_notable_preview(letter=letter),
        "craft": craft,
        "craft_plural": CRAFT_PLURALS.get(craft),
        "craft_count": counts["by_craft"][craft] if craft else None,
        "craft_pitch": CRAFT_PITCHES.get(craft),
    }
    return render(request, "letters/home.html", context, status=400 if form.is_bound else 200)


@require_http_methods(["GET", "HEAD", "POST"])
def letter_page(request):
    return _letter_page(request)


@require_http_methods(["GET", "HEAD", "POST"])
def craft_page(request, craft):
    """A landing page organisers send to one community: /crafts/actor/ and so on."""
    if craft not in Craft.values:
        raise Http404("unknown craft")
    return _letter_page(request, craft=craft)


@require_safe
def check_inbox(request):
    # One page for every address, new, pending or confirmed: nothing here depends on who signed.
    share_url = f"{settings.SITE_URL}/"
    context = {"share": share_links(url=share_url), "share_url": share_url, "crafts": Craft.choices}
    return render(request, "signatures/check_inbox.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request, token):
    # GET never changes anything: mail scanners and link previews fetch it.
    try:
        if request.method == "POST":
            context = {"signature": signature_confirm(token=token), "share": share_links(url=f"{settings.SITE_URL}/")}
            return render(request, "signatures/confirmed.html", context)
        row = token_check(token=token)
    except TokenError as exc:
        status = 404 if exc.reason == "unknown" else 410
        return render(request, "signatures/confirm_invalid.html", {"reason": exc.reason}, status=status)
    return render(request, "signatures/confirm.html", {"signature": row.signature})


@require_safe
def signatory_page(request):
    letter = letter_current()
    try:
        filters = signatory_filters(request.GET)
        error = None
    except FilterError as exc:
        filters, error = {"craft": None, "q": ""}, str(exc)
    try:
        window = signatory_window(
            signatures=signatory_list(letter=letter, **filters),
            after=request.GET.get("after"),
            before=request.GET.get("before"),
            size=settings.SIGNATORIES_PER_PAGE,
        )
    except FilterError as exc:
        error = str(exc)
        window = signatory_window(
            signatures=signatory_list(letter=letter, **filters), size=settings.SIGNATORIES_PER_PAGE
        )
    counts = signature_counts(letter=letter)
    first_page = not request.GET.get("after") and not request.GET.get("before")
    show_notable = first_page and not filters["craft"] and not filters["q"]
    context = {
        "letter": letter,
        "notable": signatory_notable(letter=letter) if show_notable else [],
        "window": window,
        "filters": filters,
        "error": error,
        "counts": counts,
        "breakdown": craft_breakdown(counts),
    }
    return render(request, "signatures/list.html", context, status=400 if error else 200)


@require_safe
def signatory_csv(request):
    letter = letter_current()
    try:
        filters = signatory_filters(request.GET)
    except FilterError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    header = ["name", "craft", "craft_label", "affiliation", "country", "profile_url", "confirmed_at"]
    rows = (
        [public[key] for key in header]
        for public in map(signatory_public_dict, signatory_list(letter=letter, **filters).iterator(chunk_size=2000))
    )
    return csv_response(header=header, rows=rows, filename="signatories.csv")
