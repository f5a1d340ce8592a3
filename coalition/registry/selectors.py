"""Reads of the consent registry: what the public, the API and the bulk download see."""

import re
from urllib.parse import urlsplit

from django.core.cache import cache
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from coalition.signatures.models import Craft

from . import standards
from .coverage import WHOLE_DOMAIN, domains_of, lookup_keys, normal_host
from .models import USE_LABELS, USES, Declaration, Place, Stance

COUNTER_CACHE_KEY = "registry:counter"
COUNTER_SECONDS = 60
PAGE_SIZE = 50


class LookupError_(ValueError):
    """A filter a person can correct; the message says how."""


CURSOR = re.compile(r"[0-9]{1,18}")


def registry_filters(params):
    """Validated filters from a query string: url, domain, craft, training, search, tdm, after."""
    filters = {}
    url = (params.get("url") or "").strip()
    if url:
        if len(url) > 2000:
            raise LookupError_(_("The address is too long."))
        if "://" not in url:
            url = "https://" + url
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 (urlsplit checks the port only when asked)
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise LookupError_(_("Give an http or https address to look up."))
        filters["url"] = url
    domain = (params.get("domain") or "").strip()
    if domain and url:
        raise LookupError_(_("Look up a URL or a domain, not both."))
    if domain:
        if len(domain) > 253 or any(c in domain for c in "/:@?# ") or "." not in domain.strip("."):
            raise LookupError_(_("Give a domain name, such as example.org."))
        filters["domain"] = normal_host(domain)
    craft = (params.get("craft") or "").strip().lower()
    if craft:
        if craft not in Craft.values:
            raise LookupError_(_("Unknown craft. Use one of: %(crafts)s.") % {"crafts": ", ".join(Craft.values)})
        filters["craft"] = craft
    for use in USES:
        value = (params.get(use) or "").strip().lower()
        if value:
            if value not in Stance.values:
                raise LookupError_(
                    _("Unknown stance for %(use)s. Use one of: %(stances)s.")
                    % {"use": use, "stances": ", ".join(Stance.values)}
                )
            filters[use] = value
    after = (params.get("after") or "").strip()
    if after:
        if not CURSOR.fullmatch(after):
            raise LookupError_(_("Unknown cursor: follow the next link as given."))
        filters["after"] = int(after)
    return filters


def coverage_q(filters):
    """Proven places that cover the filters' `url` (coverage.py), or that are on the filters' `domain`."""
    verified = Q(places__status=Place.Status.VERIFIED)
    if "url" in filters:
        host, domains, keys = lookup_keys(filters["url"])
        return verified & (
            Q(places__host__in=domains, places__path=WHOLE_DOMAIN) | Q(places__host=host, places__path__in=keys)
        )
    domain = filters["domain"]
    parents = domains_of(domain)
    # A domain's declarations: places on it (any path), and domains above it proven whole.
    return verified & (Q(places__host=domain) | Q(places__host__in=parents, places__path=WHOLE_DOMAIN))


def declarations_published():
    return Declaration.objects.published().select_related("signature").order_by("-id")


def declaration_search(filters):
    """Published declarations matching the filters, newest first, paged by id: (rows, next_after)."""
    rows = declarations_published()
    if "url" in filters or "domain" in filters:
        ids = Declaration.objects.filter(coverage_q(filters)).values("pk")
        rows = rows.filter(pk__in=ids)
    if "craft" in filters:
        rows = rows.filter(signature__craft=filters["craft"])
    for use in USES:
        if use in filters:
            rows = rows.filter(**{use: filters[use]})
    if "after" in filters:
        rows = rows.filter(id__lt=filters["after"])
    rows = list(rows.prefetch_related("places")[: PAGE_SIZE + 1])
    following = rows[PAGE_SIZE - 1].pk if len(rows) > PAGE_SIZE else None
    return rows[:PAGE_SIZE], following


def place_public_dict(place):
    return {
        "url": place.url,
        "domain": place.host,
        "proof": place.method,
        "verified": place.verified,
        "verified_at": place.verified_at.isoformat() if place.verified_at else None,
    }


def declaration_public_dict(declaration):
    """The public face of a declaration: the stance, the places, the date and version. Never an address of the
    member's unless they chose to show a licensing contact."""
    stances = declaration.stances()
    urls = standards.declaration_urls(declaration)
    return {
        "id": declaration.public_id,
        "url": urls["page"],
        "name": declaration.signature.name,
        "craft": declaration.signature.craft,
        "version": declaration.version,
        "updated_at": declaration.updated_at.isoformat(),
        "training": declaration.training,
        "training_scope": declaration.training_scope,
        "search": declaration.search,
        "tdm": declaration.tdm,
        "licensing_contact": declaration.licensing_contact if declaration.contact_public else "",
        "places": [place_public_dict(p) for p in declaration.places.all()],
        "tdm_reservation": standards.tdm_reservation(stances),
        "tdm_policy": urls["tdm_policy"] if standards.tdm_policy_wanted(stances) else None,
        "content_usage": standards.content_usage(stances),
        "site_says_it": declaration.current_site_check().get("ok"),
    }


BULK_COLUMNS = (
    "id",
    "url",
    "name",
    "craft",
    "version",
    "updated_at",
    "training",
    "training_scope",
    "search",
    "tdm",
    "licensing_contact",
    "place_url",
    "place_domain",
    "place_verified",
    "tdm_reservation",
    "content_usage",
)


def bulk_rows():
    """Every published declaration, one dict each, read in batches (a download never holds the registry)."""
    queryset = declarations_published().prefetch_related("places")
    yield from (declaration_public_dict(d) for d in queryset.iterator(chunk_size=500))


def registry_counter():
    """{"creators": N reserving AI training, "channels": M verified places they cover}, cached a minute."""
    figures = cache.get(COUNTER_CACHE_KEY)
    if figures is None:
        reserving = Declaration.objects.published().exclude(training=Stance.ALLOWED)
        figures = reserving.aggregate(
            creators=Count("pk", distinct=True),
            channels=Count("places", filter=Q(places__status=Place.Status.VERIFIED), distinct=True),
        )
        cache.set(COUNTER_CACHE_KEY, figures, COUNTER_SECONDS)
    return figures


def registry_figures():
    """For organisers: published declarations by craft and by training stance."""
    published = Declaration.objects.published()
    crafts = dict(published.values_list("signature__craft").annotate(n=Count("pk")).order_by())
    by_craft = {str(label): crafts[slug] for slug, label in Craft.choices if slug in crafts}
    by_stance = {}
    for use in USES:
        counts = dict(published.values_list(use).annotate(n=Count("pk")).order_by())
        by_stance[str(USE_LABELS[use])] = {
            str(label): counts[value] for value, label in Stance.choices if value in counts
        }
    return {"by_craft": by_craft, "by_stance": by_stance, "total": published.count()}


def registry_member_data(sender, *, signature_ids, **kwargs):
    """The member's places and declarations, every version, for their data download."""
    places = Place.objects.filter(signature_id__in=signature_ids).order_by("pk")
    declarations = Declaration.objects.filter(signature_id__in=signature_ids).prefetch_related("versions")
    return "consent_registry", {
        "places": [
            {
                "url": p.url,
                "proof": p.method,
                "status": p.status,
                "verified_at": p.verified_at,
                "checked_at": p.checked_at,
            }
            for p in places
        ],
        "declarations": [
            {
                "public_id": d.public_id,
                "hidden_by_organisers": d.hidden_at is not None,
                "withdrawn_at": d.withdrawn_at,
                "site_check": d.site_check,
                "versions": [
                    {
                        "number": v.number,
                        "created_at": v.created_at,
                        "training": v.training,
                        "training_scope": v.training_scope,
                        "search": v.search,
                        "tdm": v.tdm,
                        "licensing_contact": v.licensing_contact,
                        "contact_public": v.contact_public,
                        "places": v.place_urls,
                        "withdrawn": v.withdrawn,
                    }
                    for v in d.versions.all()
                ],
            }
            for d in declarations
        ],
    }
