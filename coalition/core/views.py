import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language_from_path
from django.utils.translation import gettext as _
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from coalition.celery import app as celery_app

logger = logging.getLogger(__name__)


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _cache():
    cache.set("healthz", "ok", 10)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache did not return what was stored")
    return "ok"


def _broker():
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"  # no broker configured: tasks run in the web process
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


CHECKS = {"database": _database, "cache": _cache, "broker": _broker}


def healthz_check_register(name, check):
    """Add a check to /healthz from an app above core (the outbox's lag). `check()` returns "ok", or a dict whose
    "status" is "ok" when healthy; raising means "down"."""
    CHECKS[name] = check


def _healthy(value):
    return value.get("status") == "ok" if isinstance(value, dict) else value != "down"


@never_cache
@require_safe
def healthz(request):
    """State of each service the site needs. No details of failures: they go to the log, not to strangers."""
    report = {}
    for name, check in CHECKS.items():
        try:
            report[name] = check()
        except Exception:
            logger.exception("healthz: %s is down", name)
            report[name] = "down"
    healthy = all(_healthy(value) for value in report.values())
    return JsonResponse({"status": "ok" if healthy else "degraded", **report}, status=200 if healthy else 503)


def is_api(request):
    # /api/... in English, /fr/api/... in French (coalition/urls.py).
    path = request.path_info
    language = get_language_from_path(path)
    if language:
        path = path.removeprefix(f"/{language}")
    return path.startswith("/api/")


def api_error(message, *, status):
    # Written as the API writes its answers (coalition/signatures/api.py): accents as they are, not \u escapes.
    return JsonResponse({"error": message}, status=status, json_dumps_params={"ensure_ascii": False})


def method_not_allowed(request):
    """The body of a 405 (see MethodNotAllowedMiddleware): JSON under /api/, a page elsewhere."""
    if is_api(request):
        return api_error(_("This address does not accept that kind of request."), status=405)
    return render(request, "405.html", status=405)


def rate_limited(request, exception=None):
    response = render(request, "429.html", status=429)
    response["Retry-After"] = "60"
    return response


# Error pages that never read the request body: Django's own are CSRF-protected, and a body Django
# refuses to decode (e.g. a non-UTF-8 form) would fail again inside them and escape as a bare 500.
def bad_request(request, exception=None):
    return render(request, "400.html", status=400)


def page_not_found(request, exception=None):
    if is_api(request):
        return api_error(
            _("There is nothing at this address. The API's addresses are described at %(schema)s.")
            % {"schema": reverse("signatures:openapi-json")},
            status=404,
        )
    return render(request, "404.html", status=404)


def permission_denied(request, exception=None):
    if is_api(request):
        return api_error(_("You may not do that here."), status=403)
    return render(request, "403.html", status=403)


def csrf_failure(request, reason=""):
    """A form sent without its CSRF cookie or token: templates/403_csrf.html says what to do. The API only reads, so
    an unsafe request there is answered as the method it is, in JSON."""
    if is_api(request):
        response = method_not_allowed(request)
        response["Allow"] = "GET, HEAD"
        return response
    return django_csrf_failure(request, reason, template_name="403_csrf.html")


def server_error(request):
    return render(request, "500.html", status=500)
