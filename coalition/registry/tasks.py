from celery import shared_task

from . import checks, proofs


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def check_place(place_id):
    return proofs.place_check(place_id=place_id)


@shared_task
def recheck_places():
    """Run daily by beat: a proof taken down later is noticed."""
    due = proofs.places_due()
    for place_id in due:
        check_place.delay(place_id)
    return len(due)


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def check_site(declaration_id):
    return checks.site_check(declaration_id=declaration_id)


@shared_task
def recheck_sites():
    """Run daily by beat: a member's site changes without telling us."""
    due = checks.sites_due()
    for declaration_id in due:
        check_site.delay(declaration_id)
    return len(due)
