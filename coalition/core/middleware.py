from django.http import HttpResponseNotAllowed, JsonResponse

from coalition.core.views import bad_request, method_not_allowed


class RejectNulMiddleware:
    """No real query string carries a NUL byte, and PostgreSQL refuses one in any text it is given: answer
    400 here, once, rather than in every filter of every page and of the admin."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in query or "%00" in query:
            if request.path.startswith("/api/"):
                return JsonResponse({"error": "The query string contains a NUL byte."}, status=400)
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
