"""Does the member's own site say what they declared? Read its robots.txt, ai.txt, /.well-known/tdmrep.json and
home page (headers and <meta>) through the guarded fetcher and compare, per crawler and per file.

The result is stored as data (codes, not sentences) so that each reader sees it in their language.
"""

import json
from urllib.parse import urlsplit

import http_sf
from bs4 import BeautifulSoup
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from protego import Protego

from coalition.signatures.channel import FetchFailed, FetchRefused

from . import proofs, standards
from .models import Declaration, Place

# A place on a platform is the platform's site: its robots.txt is not the member's to change.
PLATFORM_HOSTS = (
    "youtube.com",
    "youtu.be",
    "bsky.app",
    "x.com",
    "twitter.com",
    "instagram.com",
    "tiktok.com",
    "facebook.com",
    "threads.net",
    "linkedin.com",
    "twitch.tv",
    "vimeo.com",
    "soundcloud.com",
    "spotify.com",
    "apple.com",
    "substack.com",
    "medium.com",
    "patreon.com",
    "github.com",
    "wordpress.com",
    "tumblr.com",
    "bandcamp.com",
    "mastodon.social",
    "podbean.com",
    "anchor.fm",
    "buzzsprout.com",
    "libsyn.com",
)
SITES_PER_DECLARATION = 5


def is_platform(host):
    return any(host == p or host.endswith("." + p) for p in PLATFORM_HOSTS)


def own_sites(declaration):
    """The origins of the member's own sites among the declaration's proven places: a domain proven whole, or a
    site proven at its root. A page below the root (a university's /~vera/) is someone else's site."""
    origins = []
    for place in declaration.places.filter(status=Place.Status.VERIFIED).order_by("pk"):
        whole = place.method == Place.Method.DNS or (place.method == Place.Method.PAGE and place.path == "")
        if not whole or is_platform(place.host):
            continue
        parts = urlsplit(place.url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        if origin not in origins:
            origins.append(origin)
    return origins[:SITES_PER_DECLARATION]


def _get(fetch, url):
    """(status, page) or (None, None) when the site could not be read."""
    try:
        page = fetch(url)
    except (FetchFailed, FetchRefused):
        return None, None
    return page.status, page


def combine(*preferences):
    """Several statements into one, as draft-ietf-aipref-vocab-08 combines them: any "n" wins, then any "y"."""
    combined = {}
    for prefs in preferences:
        for label, value in prefs.items():
            if combined.get(label) != "n":
                combined[label] = value
    return combined


def _content_usage_prefs(value):
    """{label: "y"|"n"} from a Content-Usage value, per the vocabulary's processing rules (unknowns dropped)."""
    try:
        parsed = http_sf.parse(value.encode(), tltype="dictionary")
    except (http_sf.StructuredFieldError, ValueError, UnicodeError):
        return {}
    return {
        key: str(item)
        for key, (item, _params) in parsed.items()
        if isinstance(item, http_sf.Token) and str(item) in ("y", "n")
    }


def _robots_content_usage(text, agent="*"):
    """The Content-Usage preference robots.txt gives the whole site (a rule for "/" or with no path) in the group
    of `agent` ("*": every crawler without a group of its own). draft-ietf-aipref-attach-05: rules belong to groups,
    and rules for the same path combine as the vocabulary says (any "n" wins)."""
    found, group, in_rules = [], set(), False
    for line in text.splitlines():
        name, sep, value = line.split("#", 1)[0].partition(":")
        name, value = name.strip().lower(), value.strip()
        if not sep:
            continue
        if name == "user-agent":
            if in_rules:  # a User-agent line after rules starts a new group
                group, in_rules = set(), False
            group.add(value.lower())
            continue
        in_rules = True
        if name != "content-usage" or agent.lower() not in group:
            continue
        if value.startswith("/"):
            path, _sep, value = value.partition(" ")
            if path not in ("/", "/*"):
                continue
        found.append(_content_usage_prefs(value.strip()))
    return combine(*found)


def _tdmrep_file_reservation(text):
    try:
        rules = json.loads(text)
    except ValueError:
        return None
    if not isinstance(rules, list):
        return None
    for rule in rules:
        if isinstance(rule, dict) and rule.get("location") in ("/", "/*", "*"):
            value = rule.get("tdm-reservation")
            return value if value in (0, 1) else None
    return None


def _meta(html, name):
    soup = BeautifulSoup(html, "html.parser")
    tag = soup.find("meta", attrs={"name": name})
    return (tag.get("content") or "").strip() if tag else None


def _item(file, status, **extra):
    return {"file": file, "status": status, **extra}


def site_report(origin, stances, *, fetch):
    """What `origin` says, file by file, against `stances`."""
    expected_blocked = {t for tokens in standards.blocked_crawlers(stances).values() for t in tokens}
    want_usage = {"train-ai": "n" if standards.reserved(stances["training"]) else "y"}
    want_usage["search"] = "n" if standards.reserved(stances["search"]) else "y"
    want_tdm = standards.tdm_reservation(stances)
    items, crawlers = [], []

    status, page = _get(fetch, origin + "/robots.txt")
    robots_text = page.text if status == 200 else ""
    if status is None:
        items.append(_item("robots.txt", "unreachable"))
    robots = Protego.parse(robots_text)
    for crawler in standards.crawler_list()["crawlers"]:
        refused = not robots.can_fetch(origin + "/", crawler["token"])
        expected = crawler["token"] in expected_blocked
        crawlers.append(
            {"token": crawler["token"], "purpose": crawler["purpose"], "expected_refused": expected, "refused": refused}
        )
    if status is not None:
        wrong = [c for c in crawlers if c["expected_refused"] != c["refused"]]
        if not wrong:
            items.append(_item("robots.txt", "ok"))
        elif any(c["refused"] and not c["expected_refused"] for c in wrong):
            items.append(_item("robots.txt", "contradicts", crawlers=[c["token"] for c in wrong]))
        else:
            items.append(_item("robots.txt", "missing", crawlers=[c["token"] for c in wrong]))

    status, page = _get(fetch, origin + "/ai.txt")
    if status is None:
        items.append(_item("ai.txt", "unreachable"))
    elif status == 200:
        ai_txt_refuses = not Protego.parse(page.text).can_fetch(origin + "/", "*")
        agrees = ai_txt_refuses == standards.reserved(stances["training"])
        items.append(_item("ai.txt", "ok" if agrees else "contradicts"))
    else:
        items.append(_item("ai.txt", "not used"))

    file_status, page = _get(fetch, origin + "/.well-known/tdmrep.json")
    file_value = _tdmrep_file_reservation(page.text) if file_status == 200 else None

    home_status, home = _get(fetch, origin + "/")
    header_value = meta_value = None
    usage = _robots_content_usage(robots_text)
    if home_status is not None:
        raw = (home.headers.get("tdm-reservation") or "").strip()
        header_value = int(raw) if raw in ("0", "1") else None
        if "content-usage" in home.headers:
            usage = combine(usage, _content_usage_prefs(home.headers["content-usage"]))
        if "html" in home.headers.get("content-type", "html"):
            raw = _meta(home.text, "tdm-reservation")
            meta_value = int(raw) if raw in ("0", "1") else None
    # TDMRep: the header overrides the file, the page's <meta> overrides both.
    effective = next((v for v in (meta_value, header_value, file_value) if v is not None), None)
    if None in (file_status, home_status) and effective is None:
        items.append(_item("tdmrep", "unreachable"))
    elif effective is None:
        items.append(_item("tdmrep", "missing" if want_tdm == 1 else "not used"))
    elif want_tdm is None:
        # Generative training reserved, other mining allowed: TDMRep cannot say that. A reservation is stricter
        # than the member asked and still agrees with what they reserve; "not reserved" undercuts it.
        items.append(_item("tdmrep", "ok" if effective == 1 else "contradicts", found=effective))
    else:
        items.append(_item("tdmrep", "ok" if effective == want_tdm else "contradicts", found=effective))
    if not usage and (status is None or home_status is None):
        items.append(_item("content-usage", "unreachable"))
    elif not usage:
        items.append(_item("content-usage", "missing"))
    else:
        agrees = all(usage.get(label) in (None, value) for label, value in want_usage.items())
        complete = all(label in usage for label in want_usage)
        items.append(
            _item("content-usage", "ok" if agrees and complete else ("contradicts" if not agrees else "missing"))
        )
    return {"origin": origin, "items": items, "crawlers": crawlers}


def site_check(*, declaration_id, fetch=None):
    declaration = Declaration.objects.filter(pk=declaration_id, version__gt=0, withdrawn_at__isnull=True).first()
    if declaration is None:
        return "gone"
    fetch = fetch or proofs.default_fetch
    stances = declaration.stances()
    sites = [site_report(origin, stances, fetch=fetch) for origin in own_sites(declaration)]
    statuses = {item["status"] for site in sites for item in site["items"]}
    # None: nothing to judge (no site of their own, or a site that could not be read this time). A badge says
    # "does not say it" only when the site was read and says otherwise.
    ok = None if not sites or "unreachable" in statuses else not statuses & {"missing", "contradicts"}
    result = {"checked_at": timezone.now().isoformat(), "version": declaration.version, "ok": ok, "sites": sites}
    with transaction.atomic():
        # Only for the version that was read: a change published meanwhile gets its own check.
        Declaration.objects.filter(pk=declaration.pk, version=declaration.version).update(
            site_check=result, site_checked_at=timezone.now()
        )
    return {True: "ok", False: "differs", None: "no site" if not sites else "unreachable"}[ok]


def sites_due(*, limit=500):
    """Published declarations whose site was last read longer ago than REGISTRY_SITE_RECHECK_INTERVAL."""
    cutoff = timezone.now() - settings.REGISTRY_SITE_RECHECK_INTERVAL
    return list(
        Declaration.objects.filter(version__gt=0, withdrawn_at__isnull=True)
        .filter(Q(site_checked_at__isnull=True) | Q(site_checked_at__lt=cutoff))
        .order_by(F("site_checked_at").asc(nulls_first=True))
        .values_list("pk", flat=True)[:limit]
    )
