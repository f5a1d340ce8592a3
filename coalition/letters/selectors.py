import logging

from django.conf import settings
from django.core.cache import cache
from django.http import Http404
from django.utils import timezone

from coalition.core.memo import memo

from .models import Letter, LetterVersion, letter_cache_key

# Every page and every signature reads the letter and its current version; organisers change them a few times in
# the letter's life. Saving or deleting either clears the cache (models.letter_cache_forget); a version scheduled for
# later is picked up when its time comes, since an entry never outlives the next scheduled publication.
LETTER_CACHE_SECONDS = 60

logger = logging.getLogger(__name__)


def _letter_entry():
    return _letter_entry_cached(settings.COALITION_LETTER_SLUG)


@memo()
def _letter_entry_cached(slug):
    key = letter_cache_key(slug)
    try:
        entry = cache.get(key)
    except Exception:
        # An entry a previous deploy pickled with models it no longer has: read the database, store it afresh.
        logger.warning("Unreadable cached letter; reading it from the database", exc_info=True)
        entry = None
    if entry is None:
        entry, seconds = _letter_entry_build(slug)
        cache.set(key, entry, seconds)
    return entry


def _letter_entry_build(slug):
    # One query: a letter has a handful of versions, read with the letter they belong to.
    versions = list(LetterVersion.objects.filter(letter__slug=slug).select_related("letter").order_by("-number"))
    letter = versions[0].letter if versions else Letter.objects.filter(slug=slug).first()
    if letter is None:
        raise Http404("No letter is configured.")
    now = timezone.now()
    published = [v for v in versions if v.published_at is not None and v.published_at <= now]
    for version in published:
        version.letter = letter  # one Letter object in the entry, not one copy per version

    def newest(language):
        return next((v for v in published if v.language == language), None)

    # Letter.current_version's rule: the reader's language, else the default one, else any.
    fallback = newest(settings.LANGUAGE_CODE) or (published[0] if published else None)
    current = {code: newest(code) or fallback for code, _ in settings.LANGUAGES}
    scheduled = [v.published_at for v in versions if v.published_at is not None and v.published_at > now]
    seconds = LETTER_CACHE_SECONDS
    if scheduled:
        seconds = max(1, min(seconds, int((min(scheduled) - now).total_seconds())))
    return (letter, current), seconds


def letter_current():
    """The coalition's letter, as configured by COALITION_LETTER_SLUG (404 when there is none)."""
    return _letter_entry()[0]


def letter_and_version_current(language):
    """(letter, the version shown and signed in `language`), from one cache read on a busy site."""
    letter, versions = _letter_entry()
    if language in versions:
        return letter, versions[language]
    return letter, letter.current_version(language)
