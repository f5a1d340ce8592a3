"""What press and other sites take from us: the press page and the daily snapshots, an Atom feed, an embeddable
counter and badge, share cards, the corrections log."""

import base64
import logging
import re
from datetime import date
from urllib.parse import urlsplit

from csp.decorators import csp_replace
from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.cache import cache
from django.db.models import Case, CharField, Count, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import TruncDate
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import urlencode
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from coalition.core.http import public_page
from coalition.core.numbers import count_display
from coalition.letters.selectors import letter_and_version_current, letter_current

from .cards import share_card_png
from .models import AuditEvent, Craft, Signature
from .selectors import (
    COUNTS_CACHE_SECONDS,
    list_snapshot_for_day,
    list_snapshots,
    name_is_searchable,
    signatory_list,
    signature_counts,
    signature_counts_current,
)

logger = logging.getLogger(__name__)

Status = Signature.Status
REMOVALS = (Status.REJECTED, Status.FRAUDULENT, Status.WITHDRAWN)
# The year the coalition's domain first named entries: part of every entry's permanent id, never to change.
TAG_YEAR = 2026


class NotableFeed(Feed):
    """Notable and verified signatories, newest first."""

    feed_type = Atom1Feed
    title = _("Creators Coalition on AI — notable and verified signatories")
    subtitle = _("Signatories of the open letter whom the coalition's organisers have verified or marked notable.")

    def link(self):
        return reverse("signatures:list")

    def items(self):
        return (
            signatory_list(letter=letter_current())
            .filter(Q(notable=True) | Q(status=Status.VERIFIED))
            .only("id", "name", "craft", "affiliation", "confirmed_at", "status", "notable")[:50]
        )

    def item_title(self, item):
        return item.name

    def item_description(self, item):
        parts = [str(Craft(item.craft).label), item.affiliation]
        if item.status == Status.VERIFIED:
            parts.append(str(_("verified")))
        return " · ".join(part for part in parts if part)

    def item_link(self, item):
        # A name with no letter or digit cannot be searched for (the list answers 400): link to the list itself.
        if not name_is_searchable(item.name):
            return reverse("signatures:list")
        return f"{reverse('signatures:list')}?{urlencode({'q': item.name})}"

    def item_guid(self, item):
        # An Atom id must be an IRI that never changes: a tag URI (RFC 4151) under the site's own domain.
        return f"tag:{urlsplit(settings.SITE_URL).hostname},{TAG_YEAR}:signature/{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.confirmed_at


@public_page
@require_safe
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
def embed_counter(request):
    """A small page other sites put in an iframe: the count and a link to sign. No script."""
    response = render(request, "signatures/embed_counter.html", {"counts": signature_counts_current()})
    patch_cache_control(response, public=True, max_age=60)
    return response


@public_page
@require_safe
def embed_counter_script(request):
    """The same count for sites that prefer a script to a frame: it fills their own elements (see the template).
    A stable address, unlike the fingerprinted static files, so a pasted snippet keeps working after a deploy."""
    stats_url = settings.SITE_URL + reverse("signatures:api_stats")
    response = render(
        request, "signatures/embed_counter.js", {"stats_url": stats_url}, content_type="text/javascript; charset=utf-8"
    )
    patch_cache_control(response, public=True, max_age=3600)
    return response


@public_page
@require_safe
def badge(request):
    total = signature_counts_current()["total"]
    label, value = str(_("signed by")), count_display(total)
    left, right = 8 + 7 * len(label), 12 + 8 * len(value)
    response = render(
        request,
        "signatures/badge.svg",
        {"label": label, "value": value, "left": left, "right": right, "width": left + right},
        content_type="image/svg+xml; charset=utf-8",
    )
    patch_cache_control(response, public=True, max_age=COUNTS_CACHE_SECONDS * 12)
    return response


RESTORED = "restored"


def _corrections_rows():
    """Per day: removals from the public list by reason, and removals undone ("restored").

    A removal is a move to a removal status from a listed one, or from "held" when the hold took the signature off
    the list (a name held when it confirmed, e.g. by the watchlist, was never listed and is not a correction). An
    organiser's undo that puts a removed signature back on the list is a correction too, and shown as one."""
    transitions = AuditEvent.objects.filter(action=AuditEvent.Action.TRANSITION)
    held_from = Subquery(
        transitions.filter(signature=OuterRef("signature"), to_status=Status.HELD, id__lt=OuterRef("id"))
        .order_by("-id")
        .values("from_status")[:1]
    )
    removed = Q(to_status__in=REMOVALS) & (
        Q(from_status__in=Signature.LISTED_STATUSES)
        | Q(from_status=Status.HELD, held_from__in=Signature.LISTED_STATUSES)
    )
    restored = Q(from_status__in=REMOVALS, to_status__in=Signature.LISTED_STATUSES)
    return (
        transitions.annotate(held_from=held_from)
        .filter(removed | restored)
        .annotate(
            day=TruncDate("created_at"),
            kind=Case(When(restored, then=Value(RESTORED)), default=F("to_status"), output_field=CharField()),
        )
        .values("day", "kind")
        .annotate(n=Count("id"))
        .order_by("-day", "kind")[:500]
    )


@public_page
@require_safe
def corrections(request):
    """Removals from the list, and removals undone, by day and reason class: counts only, never who."""
    labels = {**dict(Status.choices), RESTORED: _("Restored to the list (a removal undone)")}
    entries = [{"day": row["day"], "reason": labels[row["kind"]], "n": row["n"]} for row in _corrections_rows()]
    return render(request, "signatures/corrections.html", {"entries": entries})


@public_page
@require_safe
def press_page(request):
    """For journalists: the dated snapshots to cite and how to check them, the API, the feed, the embeds."""
    letter = letter_current()
    snapshots = list(list_snapshots(letter=letter))
    # Newest first: each row should link to the row below it. A day removed or inserted breaks that on the page.
    chain = [
        {"snapshot": newer, "breaks": n + 1 < len(snapshots) and newer.prev_sha256 != snapshots[n + 1].sha256}
        for n, newer in enumerate(snapshots)
    ]
    context = {
        "press_contact": letter.press_contact,
        "chain": chain,
        "site": settings.SITE_URL,
        "crafts": Craft.choices,
    }
    return render(request, "signatures/press.html", context)


@public_page
@require_safe
def snapshot_download(request, day):
    """A day's snapshot, byte for byte as recorded; its SHA-256 is on the press page and in Repr-Digest."""
    try:
        when = date.fromisoformat(day) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) else None
    except ValueError:
        when = None
    snapshot = list_snapshot_for_day(letter=letter_current(), day=when) if when else None
    if snapshot is None:
        raise Http404("No snapshot for this day.")
    try:
        handle = snapshot.file.open("rb")
    except OSError:
        logger.error("snapshot %s is recorded but its file %s cannot be read", snapshot.day, snapshot.file.name)
        raise Http404("No snapshot for this day.") from None
    response = FileResponse(
        handle, as_attachment=True, filename=f"signatories-{snapshot.day}.csv", content_type="text/csv; charset=utf-8"
    )
    response["ETag"] = f'"{snapshot.sha256}"'
    response["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(snapshot.sha256)).decode()}:"
    # A snapshot never changes once taken.
    patch_cache_control(response, public=True, max_age=86400, immutable=True)
    return response


SHARE_CARD_SECONDS = 300


def _card_caption(n, craft):
    if craft:
        return ngettext("signature from this craft", "signatures from this craft", n)
    return ngettext("creator has signed the open letter", "creators have signed the open letter", n)


@public_page
@require_safe
def share_card(request, craft=None):
    """The Open Graph image of the letter, or of one craft: the letter's title and the count. Drawn at most once
    every few minutes per card and language; link previews may show a count a few minutes old."""
    if craft is not None and craft not in Craft.values:
        raise Http404("No such craft.")
    language = get_language()
    letter, version = letter_and_version_current(language)
    key = f"share-card:{letter.pk}:{craft or '*'}:{language}"
    png = cache.get(key)
    if png is None:
        counts = signature_counts(letter=letter)
        n = counts["by_craft"][craft] if craft else counts["total"]
        png = share_card_png(
            kicker=f"{_('Creators Coalition on AI')} · {Craft(craft).label}"
            if craft
            else str(_("Creators Coalition on AI")),
            title=version.title if version else str(_("Creators Coalition on AI")),
            figure=count_display(n),
            caption=_card_caption(n, craft),
            footer=settings.SITE_URL.split("://", 1)[-1],
            font_path=settings.SHARE_CARD_FONT,
        )
        cache.set(key, png, SHARE_CARD_SECONDS)
    response = HttpResponse(png, content_type="image/png")
    patch_cache_control(response, public=True, max_age=SHARE_CARD_SECONDS)
    return response


def share_meta(request, *, title, description, craft=None):
    """What link previews show for a page: the og:/twitter: tags' values, with absolute URLs."""
    image = reverse("signatures:share_craft", args=[craft]) if craft else reverse("signatures:share_letter")
    return {
        "title": title,
        "description": description,
        "image": settings.SITE_URL + image,
        "url": settings.SITE_URL + request.path,
    }
