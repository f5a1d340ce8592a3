import json
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from coalition.accounts.selectors import member_signatures
from coalition.core.csv_export import csv_response
from coalition.core.http import public_page

from . import selectors, services, standards
from .forms import DeclarationForm, PlaceForm
from .models import Declaration, Place

GET_OR_POST = ["GET", "HEAD", "POST"]


def _member_signature(user):
    return services.declarable_signature(member_signatures(user=user))


def _current_check(declaration):
    """The reading of the member's site for this version, its time as a datetime the templates format in the
    reader's language; None when there is none."""
    check = declaration.current_site_check()
    if not check:
        return None
    return {**check, "checked": parse_datetime(check.get("checked_at", ""))}


def _member_context(signature, *, place_form=None, declaration_form=None):
    declaration = Declaration.objects.filter(signature=signature).prefetch_related("places").first()
    places = list(Place.objects.filter(signature=signature))
    if declaration_form is None:
        initial = {"training": "reserved", "training_scope": "all", "search": "allowed", "tdm": "reserved"}
        if declaration and declaration.version:
            initial = {
                **declaration.stances(),
                "training_scope": declaration.training_scope,
                "licensing_contact": declaration.licensing_contact,
                "contact_public": declaration.contact_public,
                "places": [str(p.pk) for p in declaration.places.all()],
            }
        declaration_form = DeclarationForm(initial=initial, places=places)
    published = declaration is not None and declaration.version > 0 and declaration.withdrawn_at is None
    return {
        "signature": signature,
        "declaration": declaration,
        "published": published,
        "places": places,
        "place_form": place_form or PlaceForm(),
        "declaration_form": declaration_form,
        "snippets": standards.snippets(declaration) if published else None,
        "urls": standards.declaration_urls(declaration) if declaration else None,
        "check": _current_check(declaration) if published else None,
        "versions": declaration.versions.all()[:20] if declaration else [],
        "channel_proof": services.channel_proof_unused(signature),
    }


def _place_action(request, signature, action):
    place_id = request.POST.get("place", "")
    if not re.fullmatch(r"[0-9]{1,18}", place_id):
        raise Http404("no such place")
    place_id = int(place_id)
    if action == "remove_place":
        services.place_remove(signature=signature, place_id=place_id)
        messages.success(request, _("The place is removed."))
        return
    place = Place.objects.filter(signature=signature, pk=place_id).first()
    if place is None:
        raise Http404("no such place")
    queued = services.place_check_enqueue(place=place)
    messages.success(request, _("Checking it now.") if queued else _("Checked a moment ago."))


@never_cache
@login_required(login_url="account_request_login_code")
@require_http_methods(GET_OR_POST)
def member(request):
    """The member's declaration: places to prove, the stance, the snippets for their site, the check."""
    signature = _member_signature(request.user)
    if signature is None:
        return render(request, "registry/member_unsigned.html")
    status = 200
    place_form = declaration_form = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "add_place":
                place_form = PlaceForm(request.POST)
                if place_form.is_valid():
                    services.place_add(signature=signature, **place_form.cleaned_data)
                    messages.success(request, _("Place added. Put the proof where we show it, then check."))
                    return redirect("registry:member")
            elif action == "use_channel":
                services.place_from_channel_proof(signature=signature)
                messages.success(request, _("Your proven channel is now one of your places."))
                return redirect("registry:member")
            elif action in ("check_place", "remove_place"):
                _place_action(request, signature, action)
                return redirect("registry:member")
            elif action == "declare":
                places = Place.objects.filter(signature=signature)
                declaration_form = DeclarationForm(request.POST, places=places)
                if declaration_form.is_valid():
                    data = declaration_form.cleaned_data
                    services.declaration_save(signature=signature, place_ids=data.pop("places"), **data)
                    messages.success(request, _("Your declaration is published."))
                    return redirect("registry:member")
            elif action == "check_site":
                declaration = Declaration.objects.filter(signature=signature, version__gt=0).first()
                if declaration is None:
                    raise services.RegistryError(_("Publish your declaration first."))
                queued = services.site_check_enqueue(declaration=declaration)
                messages.success(request, _("Reading your site now.") if queued else _("Checked a moment ago."))
                return redirect(f"{request.path}#site-check")
            elif action == "withdraw":
                services.declaration_withdraw(signature=signature)
                messages.success(request, _("Your declaration is withdrawn. Its earlier versions stay on record."))
                return redirect("registry:member")
            else:
                return HttpResponse(_("Unknown action."), status=400, content_type="text/plain; charset=utf-8")
        except services.RegistryError as exc:
            form = place_form if action == "add_place" else declaration_form
            if form is None:
                messages.error(request, str(exc))
                return redirect("registry:member")
            form.add_error(None, str(exc))
        status = 400
    context = _member_context(signature, place_form=place_form, declaration_form=declaration_form)
    return render(request, "registry/member.html", context, status=status)


def _published(public_id):
    """A published declaration, or one its author withdrew (answered 410: a crawler learns the reservation ended)."""
    published = Declaration.objects.published().filter(public_id=public_id)
    withdrawn = Declaration.objects.filter(public_id=public_id, version__gt=0, withdrawn_at__isnull=False)
    withdrawn = withdrawn.filter(hidden_at__isnull=True, signature__public=True)
    withdrawn = withdrawn.filter(signature__status__in=services.DECLARING_STATUSES)
    declaration = (published | withdrawn).select_related("signature").prefetch_related("places").first()
    if declaration is None:
        raise Http404("no such declaration")
    return declaration


@public_page
@require_safe
def index(request):
    params = request.GET.copy()
    typed = (params.get("url") or "").strip()
    if typed and "://" not in typed and "/" not in typed and not params.get("domain"):
        # A bare name typed in the box ("example.org") asks for everything on that domain, not its home page.
        params["domain"] = params.pop("url")[-1]
    try:
        filters = selectors.registry_filters(params)
        error = ""
    except selectors.LookupError_ as exc:
        filters, error = {}, str(exc)
    rows, following = selectors.declaration_search(filters) if not error else ([], None)
    next_query = ""
    if following is not None:
        params = request.GET.copy()
        params["after"] = str(following)
        next_query = params.urlencode()
    context = {
        "counter": selectors.registry_counter(),
        "rows": rows,
        "following": following,
        "next_query": next_query,
        "lookup": request.GET.get("url", ""),
        "error": error,
        "crawlers": standards.crawler_list(),
    }
    return render(request, "registry/index.html", context, status=400 if error else 200)


@public_page
@require_safe
def declaration(request, public_id):
    declaration = _published(public_id)
    if declaration.withdrawn_at:
        return render(request, "registry/withdrawn.html", {"declaration": declaration}, status=410)
    context = {
        "declaration": declaration,
        "data": selectors.declaration_public_dict(declaration),
        "snippets": standards.snippets(declaration),
        "check": _current_check(declaration),
        "versions": declaration.versions.all()[:50],
    }
    return render(request, "registry/declaration.html", context)


def _json(data, status=200):
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False, "indent": 2}, safe=False)


@public_page
@require_safe
def declaration_json(request, public_id):
    declaration = _published(public_id)
    if declaration.withdrawn_at:
        return _json({"id": declaration.public_id, "withdrawn_at": declaration.withdrawn_at.isoformat()}, 410)
    return _json(selectors.declaration_public_dict(declaration))


@public_page
@require_safe
def tdm_policy(request, public_id):
    declaration = _published(public_id)
    stances = declaration.stances()
    if declaration.withdrawn_at or not standards.tdm_policy_wanted(stances):
        raise Http404("no licensing policy")
    urls = standards.declaration_urls(declaration)
    policy = standards.tdm_policy(
        uid=urls["tdm_policy"],
        assigner_url=urls["page"],
        name=declaration.signature.name,
        contact=declaration.licensing_contact if declaration.contact_public else "",
        stances=stances,
    )
    response = _json(policy)
    response["Content-Type"] = "application/ld+json"
    return response


def _text(body, content_type="text/plain; charset=utf-8", filename=None):
    response = HttpResponse(body, content_type=content_type)
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@public_page
@require_safe
def member_tdmrep(request, public_id):
    """The /.well-known/tdmrep.json the member puts on their own site."""
    declaration = _published(public_id)
    if declaration.withdrawn_at:
        raise Http404("withdrawn")
    return _text(standards.snippets(declaration)["tdmrep_json"] + "\n", "application/json", "tdmrep.json")


@public_page
@require_safe
def member_robots(request, public_id):
    declaration = _published(public_id)
    if declaration.withdrawn_at:
        raise Http404("withdrawn")
    return _text(standards.snippets(declaration)["robots_txt"])


@public_page
@require_safe
def bulk_jsonl(request):
    rows = (json.dumps(row, ensure_ascii=False) + "\n" for row in selectors.bulk_rows())
    response = StreamingHttpResponse(rows, content_type="application/jsonl; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="consent-registry.jsonl"'
    return response


def _csv_rows():
    for row in selectors.bulk_rows():
        for place in row["places"] or [{"url": "", "domain": "", "verified": False}]:
            flat = {**row, "place_url": place["url"], "place_domain": place["domain"]}
            flat["place_verified"] = "true" if place["verified"] else "false"
            yield [flat[column] for column in selectors.BULK_COLUMNS]


@public_page
@require_safe
def bulk_csv(request):
    return csv_response(header=selectors.BULK_COLUMNS, rows=_csv_rows(), filename="consent-registry.csv")


# The coalition's own site says its own reservation the same way its members' do.
@public_page
@require_safe
def robots_txt(request):
    # One file for every crawler, whatever language it asks for: its comments are in English.
    with translation.override("en"):
        body = standards.robots_block(standards.COALITION_STANCES)
    return _text(body)


@public_page
@require_safe
def coalition_tdmrep(request):
    body = json.dumps(standards.tdmrep_json(standards.COALITION_STANCES), indent=2) + "\n"
    return _text(body, "application/json")
