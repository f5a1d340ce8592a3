from django.conf import settings
from django.core.paginator import EmptyPage, Paginator
from django.http import JsonResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from coalition.letters.selectors import letter_current

from .selectors import (
    COUNTS_CACHE_SECONDS,
    FilterError,
    signatory_filters,
    signatory_list,
    signatory_public_dict,
    signature_counts,
)


def _error(message, status):
    return JsonResponse({"error": message}, status=status)


@require_safe
def signatories(request):
    letter = letter_current()
    try:
        filters = signatory_filters(request.GET)
    except FilterError as exc:
        return _error(str(exc), 400)
    raw_page = request.GET.get("page") or "1"
    if not raw_page.isascii() or not raw_page.isdigit() or len(raw_page) > 9 or int(raw_page) < 1:
        return _error("page must be a positive integer.", 400)
    paginator = Paginator(signatory_list(letter=letter, **filters), settings.SIGNATORIES_PER_PAGE)
    try:
        page = paginator.page(int(raw_page))
    except EmptyPage:
        return _error("No such page.", 404)

    def link(number):
        params = request.GET.copy()
        params["page"] = number
        return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")

    return JsonResponse(
        {
            "count": paginator.count,
            "page": page.number,
            "pages": paginator.num_pages,
            "next": link(page.next_page_number()) if page.has_next() else None,
            "previous": link(page.previous_page_number()) if page.has_previous() else None,
            "results": [signatory_public_dict(s) for s in page.object_list],
        },
        json_dumps_params={"ensure_ascii": False},
    )


@require_safe
def stats(request):
    response = JsonResponse(signature_counts(letter=letter_current()))
    # Counters change by the second: browsers, proxies and embeds may reuse a figure a few seconds old.
    patch_cache_control(response, public=True, max_age=COUNTS_CACHE_SECONDS)
    return response  # ConditionalGetMiddleware adds the ETag and answers 304
