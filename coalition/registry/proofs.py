"""Proving a place is the member's, one way per platform. Each proof reads only what the place's owner controls:
the token on their page or in their podcast feed, a rel="me" link from their profile back to their registry page,
a DNS TXT record on their domain, their Bluesky profile's description (or a Bluesky handle on a domain they proved).

Every fetch goes through the guarded fetcher (public addresses only, size and time caps, redirects checked). The
fetch and the DNS lookup are arguments, so that tests reach local servers and a local resolver, never the internet.
"""

import logging
import re
import socket
from urllib.parse import urlsplit

import dns.exception
import dns.resolver
from bs4 import BeautifulSoup
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_noop

from coalition.signatures.channel import FetchFailed, FetchRefused, address_is_public, fetch_page

from .coverage import WHOLE_DOMAIN, domains_of, normal_host
from .models import Declaration, Place

logger = logging.getLogger(__name__)

BLUESKY_PROFILE = re.compile(r"^/profile/([A-Za-z0-9.-]+)/?$")


def default_fetch(url):
    return fetch_page(url, resolve=socket.getaddrinfo, is_public=address_is_public)


def txt_records(name, resolver):
    """The TXT strings at `name`, asked of a dnspython `resolver`."""
    try:
        answer = resolver.resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.DNSException as exc:
        raise FetchFailed(gettext_noop("the domain's DNS did not answer")) from exc
    return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]


def default_resolve_txt(name):
    """The TXT strings at `name`, through the system's resolver."""
    resolver = dns.resolver.Resolver()
    resolver.lifetime = settings.CHANNEL_FETCH_TIMEOUT
    return txt_records(name, resolver)


def registry_page_urls(declaration):
    path = f"/registry/{declaration.public_id}/"
    return {settings.SITE_URL + path, settings.SITE_URL + "/fr" + path}


def _text(fetch, url):
    page = fetch(url)
    if page.status >= 400:
        raise FetchFailed(gettext_noop("the page answered with an error (it may be missing or private)"))
    # A redirect to another site proves nothing about this one (an open redirect would let anyone "prove" it).
    if normal_host(urlsplit(page.url).hostname) != normal_host(urlsplit(url).hostname):
        raise FetchRefused(gettext_noop("the page redirects to another site: give the address it ends at"))
    return page.text


def _rel_me_found(html, targets):
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(["a", "link"], href=True):
        rel = tag.get("rel") or []
        if "me" in [r.lower() for r in rel] and tag["href"].strip().rstrip("/") + "/" in targets:
            return True
    return False


def _podcast_token_found(feed, token):
    soup = BeautifulSoup(feed, "html.parser")
    for tag in soup.find_all("podcast:txt"):
        if (tag.get("purpose") or "").lower() == "verify" and tag.get_text().strip() == token:
            return True
    return False


def _bluesky_found(place, fetch, resolve_txt):
    match = BLUESKY_PROFILE.match(urlsplit(place.url).path)
    if urlsplit(place.url).hostname != "bsky.app" or match is None:
        raise FetchRefused(gettext_noop("give your Bluesky profile address, https://bsky.app/profile/your.handle"))
    if place.token in _text(fetch, place.url):
        return True
    handle = normal_host(match.group(1))
    # A handle on a domain the member proved whole (DNS) is proof too, if the domain names a Bluesky account. A page
    # proved on that host is not enough: youtube.com/@someone is not youtube.com.
    proven = Place.objects.filter(
        signature_id=place.signature_id, status=Place.Status.VERIFIED, host__in=domains_of(handle), path=WHOLE_DOMAIN
    )
    if not proven.exists():
        return False
    if any(value.startswith("did=did:") for value in resolve_txt(f"_atproto.{handle}")):
        return True
    try:
        page = fetch(f"https://{handle}/.well-known/atproto-did")
    except (FetchFailed, FetchRefused):
        return False
    return page.status == 200 and page.text.strip().startswith("did:")


def place_found(place, *, fetch=None, resolve_txt=None):
    """Whether the place shows the proof its method asks for. Raises FetchFailed or FetchRefused."""
    fetch = fetch or default_fetch
    resolve_txt = resolve_txt or default_resolve_txt
    if place.method == Place.Method.DNS:
        return any(place.token in value for value in resolve_txt(urlsplit(place.url).hostname))
    if place.method == Place.Method.BLUESKY:
        return _bluesky_found(place, fetch, resolve_txt)
    text = _text(fetch, place.url)
    if place.method == Place.Method.REL_ME:
        declaration = Declaration.objects.filter(signature_id=place.signature_id).first()
        return declaration is not None and _rel_me_found(text, registry_page_urls(declaration))
    if place.method == Place.Method.PODCAST:
        return _podcast_token_found(text, place.token)
    return place.token in text


NOT_FOUND = {
    Place.Method.PAGE: gettext_noop("the token was not found on the page"),
    Place.Method.REL_ME: gettext_noop('no rel="me" link to your registry page was found on the profile'),
    Place.Method.PODCAST: gettext_noop('no podcast:txt tag with purpose "verify" and your token was found in the feed'),
    Place.Method.DNS: gettext_noop("no TXT record with your token was found on the domain"),
    Place.Method.BLUESKY: gettext_noop("the token was not found in the profile's description"),
}


def place_check(*, place_id, fetch=None, resolve_txt=None):
    """Check a place and store the outcome. A check that failed for a passing reason (timeout, DNS) keeps the
    state as it was; a place that no longer shows its proof loses it. The fetch holds no lock or transaction: it
    may take seconds."""
    place = Place.objects.filter(pk=place_id).first()
    if place is None:
        return "gone"
    try:
        found = place_found(place, fetch=fetch, resolve_txt=resolve_txt)
        error = "" if found else NOT_FOUND[place.method]
    except FetchRefused as exc:
        found, error = False, str(exc)
    except FetchFailed as exc:
        Place.objects.filter(pk=place.pk, url=place.url).update(checked_at=timezone.now(), last_error=str(exc)[:300])
        return "unreachable"
    now = timezone.now()
    status = Place.Status.VERIFIED if found else Place.Status.FAILED
    # Only if the place is still the one that was read (removed or re-added meanwhile: nothing to record).
    Place.objects.filter(pk=place.pk, url=place.url).update(
        status=status, checked_at=now, last_error=error[:300], verified_at=now if found else None
    )
    return status


def places_due(*, limit=500):
    """Proven places whose last check is older than CHANNEL_RECHECK_INTERVAL: a proof can be taken down later."""
    cutoff = timezone.now() - settings.CHANNEL_RECHECK_INTERVAL
    return list(
        Place.objects.filter(status=Place.Status.VERIFIED, checked_at__lt=cutoff)
        .order_by("checked_at")
        .values_list("pk", flat=True)[:limit]
    )
