from django.conf import settings
from django.shortcuts import get_object_or_404

from .models import Letter


def letter_current():
    """The coalition's letter, as configured by COALITION_LETTER_SLUG."""
    return get_object_or_404(Letter, slug=settings.COALITION_LETTER_SLUG)
