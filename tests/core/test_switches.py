"""Organisers' switches take effect at once, even when a page reads them while the change is being saved."""

import pytest
from django.core.cache import cache
from django.db import transaction

from coalition.core.models import CACHE_KEY, Switches


@pytest.mark.django_db(transaction=True)
def test_pausing_signing_is_not_undone_by_a_page_read_while_it_was_being_saved():
    running = Switches.current()
    assert not running.signing_paused
    with transaction.atomic():
        Switches(signing_paused=True).save()
        # Another worker serves a page before the organiser's change commits: it reads, and caches, the old row.
        cache.set(CACHE_KEY, running, 30)
    assert Switches.current().signing_paused
