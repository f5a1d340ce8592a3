"""Yardsticks served next to the product: a bare Django view that does one INSERT through the ORM (for the sign
POST), and one that does nothing (the ceiling of Django, its middleware and gunicorn on this machine).

It inserts into the signatures table itself (with its million rows and its indexes) so that the ratio measures
what signing adds on top of storing a row: validation, rate limits, the outbox row, the broker. It goes through
the same middleware and the same cross-site check as the sign form (coalition/core/http.py). Never mounted by the product; only bench/settings.py serves them.
"""

import uuid
from functools import cache

from django.http import HttpResponse
from django.views.decorators.http import require_POST, require_safe

from coalition.core.http import from_this_site
from coalition.letters.selectors import letter_current
from coalition.signatures.models import Signature


@cache
def _letter_ids():
    letter = letter_current()
    return letter.pk, letter.current_version("en").pk


@from_this_site(allow_unlabelled=True)
@require_POST
def insert_one(request):
    letter_id, version_id = _letter_ids()
    Signature.objects.create(
        letter_id=letter_id,
        letter_version_id=version_id,
        name="Reference Insert",
        email=f"{uuid.uuid4().hex}@reference.bench.example.org",
        craft="other",
        consent_text="reference",
    )
    return HttpResponse(status=204)


@require_safe
def nothing(request):
    return HttpResponse(status=204)
