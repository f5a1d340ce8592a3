"""The registry's JSON API, for AI companies' crawlers and licensing teams: look up any URL or domain. Served and
documented by django-ninja like the signatories' API (OpenAPI schema at /api/v1/registry/schema/)."""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.cache import cache_control
from ninja import Query, Schema
from pydantic import Field

from coalition.core.api import SiteAPI
from coalition.core.views import page_not_found
from coalition.signatures.models import Craft

from . import selectors
from .models import Place, Stance, TrainingScope

api = SiteAPI(
    title="Creators Coalition on AI — consent registry API",
    version="1",
    description=(
        "Creators' declarations about AI use of their work: AI training, search indexing and other text and data "
        "mining, each reserved, licensed on request or allowed, over places (channels, sites, feeds) each creator "
        "proved is theirs. Look up any URL or domain. Read-only, no key needed. No signer's email address appears; a "
        "licensing contact appears only where its author chose to publish it. "
        "Bulk: /registry/declarations.jsonl and /registry/declarations.csv."
    ),
    urls_namespace="registry",
    openapi_url="/schema/",
    docs_url=None,
    docs_decorator=cache_control(public=True, max_age=3600),
)


class Error(Schema):
    error: str = Field(description="What was wrong with the request, in words a person can act on.")


StanceField = Field(json_schema_extra={"enum": Stance.values})


class PublicPlace(Schema):
    url: str
    domain: str = Field(description="The place's host, lower case, without www.")
    proof: str = Field(json_schema_extra={"enum": Place.Method.values}, description="How the creator proved it.")
    verified: bool = Field(description="The proof was found at the last check.")
    verified_at: str | None = Field(json_schema_extra={"format": "date-time"})


class PublicDeclaration(Schema):
    id: str
    url: str = Field(description="The declaration's stable public page.")
    name: str
    craft: str = Field(json_schema_extra={"enum": Craft.values})
    version: int = Field(description="Every change is a new version; earlier ones are listed on the page.")
    updated_at: str = Field(json_schema_extra={"format": "date-time"})
    training: str = StanceField
    training_scope: str = Field(json_schema_extra={"enum": TrainingScope.values})
    search: str = StanceField
    tdm: str = Field(json_schema_extra={"enum": Stance.values}, description="Other text and data mining.")
    licensing_contact: str = Field(description="Shown only if the creator chose to; empty otherwise.")
    places: list[PublicPlace]
    tdm_reservation: int | None = Field(
        description="W3C TDMRep: 1 rights reserved, 0 not reserved, null left unset (generative training only)."
    )
    tdm_policy: str | None = Field(description="W3C TDMRep policy URL when licensing is on request.")
    content_usage: str = Field(description="IETF AI preferences (draft-ietf-aipref-vocab-08), e.g. train-ai=n.")
    site_says_it: bool | None = Field(
        description="Whether the creator's own site said the same at the last check; null when not checked."
    )


class DeclarationPage(Schema):
    next: str | None = Field(description="The next, older page; null on the last one.")
    results: list[PublicDeclaration]


@api.exception_handler(selectors.LookupError_)
def _bad_filter(request, exc):
    return api.create_response(request, {"error": str(exc)}, status=400)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return page_not_found(request, exc)


def _stance_param(use):
    return Query(None, description=f"Only declarations whose {use} stance is one of: {', '.join(Stance.values)}.")


@api.api_operation(["HEAD"], "/declarations/", response={200: DeclarationPage, 400: Error}, include_in_schema=False)
@api.get(
    "/declarations/",
    response={200: DeclarationPage, 400: Error},
    url_name="declarations",
    summary="Look up declarations by URL, domain, craft or stance",
    description=(
        "`url` finds the declarations covering that address: places on its host at or above its path (a channel "
        "page covers what is below it; a place with a query string covers that exact address), and domains proven "
        "whole by DNS above it (their subdomains included). `domain` finds places on that host and domains proven "
        "whole above it. Give one of the two. Filters combine. Newest first, 50 a page."
    ),
)
def declarations(
    request,
    response: HttpResponse,
    url: str | None = Query(None, description="Any http(s) URL, e.g. https://www.youtube.com/@someone/videos."),
    domain: str | None = Query(None, description="A domain name, e.g. example.org."),
    craft: str | None = Query(None, description=f"One of: {', '.join(Craft.values)}."),
    training: str | None = _stance_param("training"),
    search: str | None = _stance_param("search"),
    tdm: str | None = _stance_param("tdm"),
    after: str | None = Query(None, description="Cursor from a `next` link."),
):
    response["Cache-Control"] = f"public, max-age={settings.PUBLIC_CACHE_SECONDS}"
    filters = selectors.registry_filters(
        {
            "url": url,
            "domain": domain,
            "craft": craft,
            "training": training,
            "search": search,
            "tdm": tdm,
            "after": after,
        }
    )
    rows, following = selectors.declaration_search(filters)
    next_link = None
    if following is not None:
        params = request.GET.copy()
        params["after"] = str(following)
        next_link = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    return {"next": next_link, "results": [selectors.declaration_public_dict(d) for d in rows]}
