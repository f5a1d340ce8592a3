"""The public JSON API, served and documented by django-ninja: the OpenAPI schema at /api/v1/schema/ is made
from the same declarations that answer the requests."""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag
from django.views.decorators.cache import cache_control
from ninja import Query, Schema
from pydantic import ConfigDict, Field, create_model

from coalition.core.api import SiteAPI
from coalition.core.views import page_not_found
from coalition.letters.selectors import letter_current

from .models import Craft, Organisation
from .selectors import (
    COUNTS_CACHE_SECONDS,
    ORGANISATIONS_PER_PAGE,
    FilterError,
    organisation_page,
    organisation_public_dict,
    signatory_filters,
    signatory_list,
    signatory_public_dict,
    signatory_window,
    signature_counts_current,
)

api = SiteAPI(
    title="Creators Coalition on AI — public API",
    version="1",
    description=(
        "The public list of signatories of the open letter and the live counts. Read-only, no key needed. "
        "Only confirmed signatures of people who asked to be listed appear; no email address ever does."
    ),
    urls_namespace="signatures",
    openapi_url="/schema/",
    docs_url=None,  # Swagger UI loads script from a CDN, which the Content-Security-Policy forbids.
    docs_decorator=cache_control(public=True, max_age=3600),
)


class Error(Schema):
    error: str = Field(description="What was wrong with the request, in words a person can act on.")


class Signatory(Schema):
    name: str
    craft: str = Field(json_schema_extra={"enum": Craft.values})
    craft_label: str = Field(description="The craft's name, in the language the request asks for (Accept-Language).")
    affiliation: str
    country: str = Field(description="ISO 3166-1 alpha-2 code, or empty when not given.")
    profile_url: str = Field(description="A public profile link the signer gave, or empty.")
    confirmed_at: str = Field(
        json_schema_extra={"format": "date-time"}, description="When the signer confirmed (ISO 8601)."
    )
    verified: bool = Field(description="The coalition's organisers checked who this is.")
    notable: bool = Field(description="Shown first, in its own section of the list.")
    channel_verified: bool = Field(
        description="The signer proved they run the channel, podcast or newsletter at profile_url."
    )


class SignatoryPage(Schema):
    next: str | None = Field(description="Link to the next, older page; null on the last page.")
    previous: str | None = Field(description="Link to the previous, newer page; null on the first page.")
    results: list[Signatory]


class PublicOrganisation(Schema):
    name: str
    kind: str = Field(json_schema_extra={"enum": Organisation.Kind.values})
    kind_label: str = Field(description="The kind's name, in the language the request asks for.")
    website: str
    country: str = Field(description="ISO 3166-1 alpha-2 code, or empty when not given.")
    verified_at: str = Field(json_schema_extra={"format": "date-time"}, description="When an organiser verified it.")


class OrganisationPage(Schema):
    count: int = Field(description="Verified organisations in all, on every page.")
    next: str | None = Field(description="The next page, or null on the last one.")
    results: list[PublicOrganisation]


ByCraft = create_model(
    "ByCraft",
    __config__=ConfigDict(populate_by_name=True),
    **{slug.replace("-", "_"): (int, Field(alias=slug, title=str(label))) for slug, label in Craft.choices},
)


class Stats(Schema):
    total: int = Field(description="Confirmed and verified signatures, named publicly or not.")
    by_craft: ByCraft


# Parameters are declared as plain strings so that ninja never refuses one with its own 422: the selectors check
# them, as they do for the HTML list and the CSV, and a bad one is a 400 with a message a person can act on.
@api.exception_handler(FilterError)
def _bad_filter(request, exc):
    return api.create_response(request, {"error": str(exc)}, status=400)


# The same answer as an unknown address of the API (handler404), not ninja's {"detail": "Not Found"}.
@api.exception_handler(Http404)
def _not_found(request, exc):
    return page_not_found(request, exc)


@api.api_operation(["HEAD"], "/signatories/", response={200: SignatoryPage, 400: Error}, include_in_schema=False)
@api.get(
    "/signatories/",
    response={200: SignatoryPage, 400: Error},
    url_name="api_list",
    summary="Public signatories, newest first",
    description=(
        "Filters combine. Pages are cursor-based: follow `next` and `previous` as given; "
        "a page holds at most 50 signatories."
    ),
)
def signatories(
    request,
    craft: str | None = Query(None, description=f"One of: {', '.join(Craft.values)}."),
    country: str | None = Query(None, description="ISO 3166-1 alpha-2 code, e.g. FR."),
    verified: str | None = Query(None, description="true: verified signatories only; false: not yet verified."),
    q: str | None = Query(
        None, description="Part of a name (one or two characters: a word start); case- and accent-insensitive."
    ),
    after: str | None = Query(None, description="Cursor from a `next` link."),
    before: str | None = Query(None, description="Cursor from a `previous` link."),
    *,
    response: HttpResponse,
):
    # The same for every reader: shared caches may keep it a few seconds (a 400 is a new response, not this one).
    patch_cache_control(response, public=True, max_age=settings.PUBLIC_CACHE_SECONDS)
    filters = signatory_filters({"craft": craft, "country": country, "verified": verified, "q": q})
    window = signatory_window(
        signatures=signatory_list(letter=letter_current(), **filters),
        after=after,
        before=before,
        size=settings.SIGNATORIES_PER_PAGE,
    )
    return {
        "next": _link(request, "after", window.next_cursor),
        "previous": _link(request, "before", window.previous_cursor),
        "results": [signatory_public_dict(s) for s in window.items],
    }


def _link(request, key, cursor):
    if cursor is None:
        return None
    params = request.GET.copy()
    params.pop("after", None)
    params.pop("before", None)
    params[key] = cursor
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


@api.api_operation(["HEAD"], "/stats/", response=Stats, by_alias=True, include_in_schema=False)
@api.get(
    "/stats/",
    response=Stats,
    by_alias=True,
    url_name="api_stats",
    summary="Signature counts",
    description=(
        "Totals by craft. Cached for a few seconds; sends Cache-Control and an ETag (If-None-Match gets a 304)."
    ),
)
def stats(request, response: HttpResponse):
    # Counters change by the second: browsers, proxies and embeds may reuse a figure a few seconds old.
    patch_cache_control(response, public=True, max_age=COUNTS_CACHE_SECONDS)
    # Public figures: other sites' pages read them (the counter script, /embed/counter.js), without cookies.
    response["Access-Control-Allow-Origin"] = "*"
    # Rendered as is: the counts are a dict the selector builds, already in the schema's shape (slugs as keys, in
    # the order of Craft), so re-validating it through pydantic on every read of the busiest address would only
    # cost time. tests/signatures/test_counts.py checks the answer against the Stats schema.
    # ConditionalGetMiddleware adds the ETag and answers 304.
    answer = api.create_response(request, signature_counts_current(), temporal_response=response)
    if request.method == "HEAD":
        # ConditionalGetMiddleware serves GET only: a HEAD (link checkers, caches revalidating) gets the same ETag.
        set_response_etag(answer)
        return get_conditional_response(request, etag=answer["ETag"], response=answer)
    return answer


@api.api_operation(["HEAD"], "/organisations/", response={200: OrganisationPage, 400: Error}, include_in_schema=False)
@api.get(
    "/organisations/",
    response={200: OrganisationPage, 400: Error},
    url_name="api_organisations",
    summary="Organisations endorsing the letter",
    description=(
        "Unions, guilds and studios whose endorsement an organiser verified, by name. Never a contact's name or "
        f"address. Pages hold at most {ORGANISATIONS_PER_PAGE}: follow `next` as given."
    ),
)
def organisations(
    request, response: HttpResponse, after: str | None = Query(None, description="Cursor from a `next` link.")
):
    patch_cache_control(response, public=True, max_age=settings.PUBLIC_CACHE_SECONDS)
    rows, following, total = organisation_page(letter=letter_current(), after=after)
    return {
        "count": total,
        "next": _link(request, "after", following),
        "results": [organisation_public_dict(o) for o in rows],
    }
