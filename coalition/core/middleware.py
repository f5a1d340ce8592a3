from django.http import HttpResponseBadRequest, HttpResponseNotAllowed
from django.utils.translation import gettext as _

from coalition.core.views import api_error, bad_request, is_api, method_not_allowed


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
