from django.conf import settings
from django.http import HttpResponseBadRequest, HttpResponseNotAllowed
from django.urls import is_valid_path
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from coalition.core.http import make_private, must_stay_private
from coalition.core.views import api_error, bad_request, is_api, method_not_allowed


def language_in_url(path):
    """Whether the page at `path` takes its language from its address (i18n_patterns in coalition/urls.py):
    /fr/... is French, the same address without the prefix is English."""
    if translation.get_language_from_path(path):
        return True
    # The prefixed patterns answer for the active language only: ask in the other one.
    other = next(code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE)
    with translation.override(other):
        return is_valid_path(f"/{other}{path}")


class LocaleMiddleware:
    """The language of a page is in its address, so that a shared cache keyed by the address hands every reader
    the page in the language they chose, with nothing to vary on. Addresses outside the language prefix (the
    admin, /healthz) still follow the browser's Accept-Language, and say so in Vary.

    Django's LocaleMiddleware, with English unprefixed, would serve those in English whatever the reader asks,
    and add `Vary: Accept-Language` to pages whose language the address alone decides."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from_url = language_in_url(request.path_info)
        if from_url:
            language = translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
        else:
            language = translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        if not from_url:
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class SharedCacheMiddleware:
    """The last word on a page marked `public_page` (coalition/core/http.py): if, after every other middleware,
    the answer sets a cookie or was drawn for a signed-in member, it is private and uncached."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "public" in response.get("Cache-Control", "") and must_stay_private(request, response):
            make_private(response)
        return response


class RejectNulMiddleware:
    """No real query string carries a NUL byte, and PostgreSQL refuses one in any text it is given: answer
    400 here, once, rather than in every filter of every page and of the admin."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in query or "%00" in query:
            message = _("The query string contains a NUL byte.")
            if is_api(request):
                return api_error(message, status=400)
            if request.path.endswith(".csv"):
                # As the CSV's other filter errors are answered (signatures.views.signatory_csv).
                return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
            return bad_request(request)
        return self.get_response(request)


class MethodNotAllowedMiddleware:
    """Django's require_http_methods and require_safe answer 405 with an empty body, django-ninja with two bare
    words: give the person a page in the site's layout (JSON under /api/), in their language. The response itself is
    kept, with its Allow and cache headers; only its body changes. A HEAD answer stays without one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if isinstance(response, HttpResponseNotAllowed) and request.method != "HEAD":
            page = method_not_allowed(request)
            response.content = page.content
            response["Content-Type"] = page["Content-Type"]
        return response
