from django.http import JsonResponse

from coalition.core.views import bad_request


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
