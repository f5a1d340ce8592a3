from django.conf import settings
from django.http import JsonResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from coalition.letters.selectors import letter_current

from .selectors import (
    COUNTS_CACHE_SECONDS,
    FilterError,
    organisation_list,
    organisation_public_dict,
    signatory_filters,
    signatory_list,
    signatory_public_dict,
    signatory_window,
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
    try:
        window = signatory_window(
            signatures=signatory_list(letter=letter, **filters),
            after=request.GET.get("after"),
            before=request.GET.get("before"),
            size=settings.SIGNATORIES_PER_PAGE,
        )
    except FilterError as exc:
        return _error(str(exc), 400)
    return JsonResponse(
        {
            "next": _link(request, "after", window.next_cursor),
            "previous": _link(request, "before", window.previous_cursor),
            "results": [signatory_public_dict(s) for s in window.items],
        },
        json_dumps_params={"ensure_ascii": False},
    )


def _link(request, key, cursor):
    if cursor is None:
        return None
    params = request.GET.copy()
    params.pop("after", None)
    params.pop("before", None)
    params[key] = cursor
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


@require_safe
def stats(request):
    response = JsonResponse(signature_counts(letter=letter_current()))
    # Counters change by the second: browsers, proxies and embeds may reuse a figure a few seconds old.
    patch_cache_control(response, public=True, max_age=COUNTS_CACHE_SECONDS)
    return response  # ConditionalGetMiddleware adds the ETag and answers 304


@require_safe
def organisations(request):
    """Verified organisations endorsing the letter; never a contact's name or address."""
    rows = [organisation_public_dict(o) for o in organisation_list(letter=letter_current())]
    return JsonResponse({"count": len(rows), "results": rows}, json_dumps_params={"ensure_ascii": False})
