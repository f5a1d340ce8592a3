from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import get_script_prefix, reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from coalition.core.csv_export import csv_response
from coalition.core.http import from_this_site, public_page
from coalition.core.models import Switches
from coalition.core.numbers import count_display
from coalition.core.views import rate_limited
from coalition.letters.selectors import letter_and_version_current, letter_current

from .forms import CONSENT_TEXT, OrganisationForm, SignForm, country_menu
from .models import Craft
from .pages import CRAFT_PITCHES, CRAFT_PLURALS, share_links
from .press import share_meta
from .ratelimits import client_ip, sign_verdict
from .selectors import (
    NO_FILTERS,
    PUBLIC_CSV_HEADER,
    FilterError,
    craft_breakdown,
    filters_query,
    letter_people,
    organisation_list,
    signatories_with_bios,
    signatory_csv_rows,
    signatory_filters,
    signatory_list,
    signatory_notable,
    signatory_notable_preview,
    signatory_search,
    signatory_window,
    signature_counts,
)
from .services import (
    TokenError,
    organisation_contact_confirm,
    organisation_create,
    organisation_token_check,
    signature_confirm,
    token_check,
)
from .submissions import signature_submit


def _sign(request, letter, version, data, review_reason):
    signature_submit(
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
        ip=str(client_ip(request) or ""),
        review_reason=review_reason,
    )


def _to_check_inbox():
    # Where every sign POST goes: the URL is worked out once per script prefix and language (/fr/signed/), not on
    # each signature.
    return HttpResponseRedirect(_url("signatures:check_inbox", get_script_prefix(), get_language()))


@lru_cache(maxsize=16)
def _url(name, script_prefix, language):
    return reverse(name)


def _rate_limited(request, wait):
    response = rate_limited(request)
    response["Retry-After"] = str(wait)
    return response


def _letter_page(request, *, craft=None):
    """The letter, the count and the form; on a craft's landing page the form starts on that craft."""
    letter, version = letter_and_version_current(get_language())
    switches = Switches.current()
    form = SignForm(request.POST if request.method == "POST" else None, initial={"craft": craft} if craft else None)
    accepting = letter.is_open and version is not None and not switches.signing_paused
    if request.method == "POST" and accepting:
        # Every POST counts against the client's network; one with a valid address against its domain too. Bots
        # are not validated at all. A busy network's signature is accepted like any other, and waits for review.
        email = None if form.is_bot or not form.is_valid() else form.cleaned_data["email"]
        verdict = sign_verdict(request, email=email, switches=switches)
        if verdict.wait is not None:
            return _rate_limited(request, verdict.wait)
        if form.is_bot:
            # Bots get the answer people get, and nothing is stored.
            return _to_check_inbox()
        if email is not None:
            try:
                _sign(request, letter, version, form.cleaned_data, verdict.review_reason)
            except (ValidationError, ValueError):
                # The form and the model check the same things; if they ever disagree, the person gets the form back.
                form.add_error(None, _("We could not record this signature. Please check your details and try again."))
            else:
                return _to_check_inbox()
    counts = signature_counts(letter=letter)
    context = {
        "letter": letter,
        "version": version,
        "switches": switches,
        "accepting": accepting,
        "closed_reason": letter.closed_reason_in(get_language()),
        "pause_reason": switches.pause_reason_in(get_language()),
        "form": form,
        "counts": counts,
        "breakdown": craft_breakdown(counts),
        "share": share_meta(
            request,
            title=version.title if version else _("Creators Coalition on AI"),
            # A craft's page is described by its own pitch first: one description per page, for search results.
            description=" ".join(
                part
                for part in (
                    str(CRAFT_PITCHES.get(craft, "")),
                    ngettext(
                        "%(n)s creator has signed the open letter on AI. Add your name.",
                        "%(n)s creators have signed the open letter on AI. Add your name.",
                        counts["total"],
                    )
                    % {"n": count_display(counts["total"])},
                )
                if part
            ),
            craft=craft,
        ),
        "notable": signatory_notable_preview(letter=letter),
        "people": letter_people(letter=letter),
        "faq": letter.faq_in(get_language()),
        "craft": craft,
        "craft_plural": CRAFT_PLURALS.get(craft),
        "craft_count": counts["by_craft"][craft] if craft else None,
        "craft_pitch": CRAFT_PITCHES.get(craft),
    }
    return render(request, "letters/home.html", context, status=400 if form.is_bound else 200)


# The page is the same for every anonymous reader, so its form carries no CSRF token: a POST another site made is
# refused on what the browser says of its origin instead (coalition/core/http.py). Old browsers and programs that
# say nothing may still sign; the honeypot, the fill time and the rate limits judge them as everyone else.
@public_page
@from_this_site(allow_unlabelled=True)
@require_http_methods(["GET", "HEAD", "POST"])
def letter_page(request):
    return _letter_page(request)


@public_page
@from_this_site(allow_unlabelled=True)
@require_http_methods(["GET", "HEAD", "POST"])
def craft_page(request, craft):
    """A landing page organisers send to one community: /crafts/actor/ and so on."""
    if craft not in Craft.values:
        raise Http404("unknown craft")
    return _letter_page(request, craft=craft)


@public_page
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


NOTABLE_SECTION_SIZE = 6


@public_page
@require_safe
def signatory_page(request):
    letter = letter_current()
    try:
        filters = signatory_filters(request.GET)
        error = None
    except FilterError as exc:
        filters, error = NO_FILTERS, str(exc)
    narrowed = {**filters, "sort": "newest"} != NO_FILTERS
    if narrowed:
        listed, matches = signatory_search(letter=letter, **filters)
    else:
        listed, matches = signatory_list(letter=letter, **filters), None
    listed = signatories_with_bios(listed)
    try:
        window = signatory_window(
            signatures=listed,
            after=request.GET.get("after"),
            before=request.GET.get("before"),
            size=settings.SIGNATORIES_PER_PAGE,
            sort=filters["sort"],
        )
    except FilterError as exc:
        error = str(exc)
        window = signatory_window(signatures=listed, size=settings.SIGNATORIES_PER_PAGE, sort=filters["sort"])
    counts = signature_counts(letter=letter)
    first_page = not request.GET.get("after") and not request.GET.get("before")
    show_notable = first_page and not narrowed
    # A handful of notable names, then everyone: on a phone the list starts within the first screen.
    notable = (
        list(signatories_with_bios(signatory_notable(letter=letter, limit=NOTABLE_SECTION_SIZE + 1)))
        if show_notable
        else []
    )
    context = {
        "letter": letter,
        "notable": notable[:NOTABLE_SECTION_SIZE],
        "more_notable": len(notable) > NOTABLE_SECTION_SIZE,
        "narrowed": narrowed,
        "matches": matches if not error else None,
        "sorts": [("newest", _("Newest first")), ("name", _("By name"))],
        "organisations": organisation_list(letter=letter) if show_notable else [],
        "window": window,
        "filters": filters,
        "filters_query": filters_query(filters),
        "country_menu": country_menu(
            name="country", value=filters["country"], attrs={"id": "country"}, empty_label=_("All countries")
        ),
        "error": error,
        "counts": counts,
        "breakdown": craft_breakdown(counts),
        "share": share_meta(
            request,
            title=_("Signatories of the open letter — Creators Coalition on AI"),
            description=ngettext(
                "%(n)s confirmed signature from actors, writers, musicians, YouTubers and other creators.",
                "%(n)s confirmed signatures from actors, writers, musicians, YouTubers and other creators.",
                counts["total"],
            )
            % {"n": count_display(counts["total"])},
            craft=filters["craft"],
        ),
    }
    return render(request, "signatures/list.html", context, status=400 if error else 200)


@public_page
@require_safe
def signatory_csv(request):
    letter = letter_current()
    try:
        filters = signatory_filters(request.GET)
    except FilterError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    return csv_response(
        header=PUBLIC_CSV_HEADER, rows=signatory_csv_rows(letter=letter, **filters), filename="signatories.csv"
    )


@require_http_methods(["GET", "HEAD", "POST"])
def organisation_endorse(request):
    letter = letter_current()
    switches = Switches.current()
    form = OrganisationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        # Paused signing pauses endorsements too: an attack on the forms is an attack on both.
        valid = letter.is_open and not switches.signing_paused and form.is_valid()
        # Every endorsement waits for an organiser anyway: only a flood is refused.
        verdict = sign_verdict(request, email=form.cleaned_data["contact_email"] if valid else None, switches=switches)
        if verdict.wait is not None:
            return _rate_limited(request, verdict.wait)
        if valid:
            try:
                organisation_create(
                    letter=letter,
                    language=get_language(),
                    **{k: v for k, v in form.cleaned_data.items() if k != "authority"},
                )
            except (ValidationError, ValueError):
                form.add_error(None, _("We could not record this endorsement. Please check the details."))
            else:
                return render(request, "signatures/organisation_thanks.html")
    status = 400 if form.is_bound else 200
    context = {"form": form, "letter": letter, "switches": switches}
    return render(request, "signatures/organisation_endorse.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def organisation_confirm(request, token):
    """The link mailed to an organisation's contact. GET shows a button (mail scanners fetch links); POST confirms."""
    try:
        if request.method == "POST":
            organisation = organisation_contact_confirm(token=token)
            return render(request, "signatures/organisation_confirmed.html", {"organisation": organisation})
        organisation = organisation_token_check(token=token)
    except TokenError as exc:
        status = 404 if exc.reason == "unknown" else 410
        return render(request, "signatures/organisation_confirm_invalid.html", {"reason": exc.reason}, status=status)
    return render(request, "signatures/organisation_confirm.html", {"organisation": organisation})
