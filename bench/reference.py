"""A yardstick served next to the product: a Django view that does nothing, the ceiling of Django, its middleware
and gunicorn on this machine. Never mounted by the product; only bench/settings.py serves it."""

from django.http import HttpResponse
from django.views.decorators.http import require_safe


@require_safe
def nothing(request):
    return HttpResponse(status=204)
