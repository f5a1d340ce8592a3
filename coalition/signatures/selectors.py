import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db import connection
from django.db.models import CharField, Func, Q, Value
from django.db.models.functions import Lower, StrIndex

from .models import Craft, Signature, SignatureCount

MAX_QUERY_LENGTH = 100
PUBLIC_FIELDS = ("name", "craft", "affiliation", "country", "profile_url", "confirmed_at", "status", "notable")


class FilterError(ValueError):
    pass


def signatory_filters(params):
    """Validated list filters from a query string: {'craft': slug or None, 'q': text}. Raises FilterError."""
    craft = (params.get("craft") or "").strip()
    if craft and craft not in Craft.values:
        raise FilterError(f"Unknown craft. Use one of: {', '.join(Craft.values)}.")
    # NUL cannot reach PostgreSQL; an over-long query is never a real name.
    q = " ".join((params.get("q") or "").replace("\x00", "").split())[:MAX_QUERY_LENGTH]
    return {"craft": craft or None, "q": q}


def cursor_encode(signature):
    raw = f"{signature.confirmed_at.isoformat()}|{signature.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_decode(cursor):
    """(confirmed_at, id) from a cursor made by cursor_encode; FilterError for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, pk = raw.split("|")
        moment, pk = datetime.fromisoformat(stamp), int(pk)
    except (ValueError, binascii.Error, UnicodeError):
        raise FilterError("Unknown cursor: follow the next and previous links as given.") from None
    if moment.tzinfo is None or pk < 1:
        raise FilterError("Unknown cursor: follow the next and previous links as given.")
    return moment, pk


@dataclass
class Window:
    items: list
    next_cursor: str | None
    previous_cursor: str | None


def signatory_window(*, signatures, after=None, before=None, size):
    """One page of `signatures` (ordered newest first) by keyset, never OFFSET: every page costs the same
    at a million rows. `after`/`before` are cursors from a previous window."""
    if after:
        moment, pk = cursor_decode(after)
        # (confirmed_at, id) < (moment, pk), with the first half alone too so PostgreSQL can range-scan the index.
        rows = signatures.filter(confirmed_at__lte=moment).filter(Q(confirmed_at__lt=moment) | Q(id__lt=pk))
    elif before:
        moment, pk = cursor_decode(before)
        rows = signatures.filter(confirmed_at__gte=moment).filter(Q(confirmed_at__gt=moment) | Q(id__gt=pk))
        rows = rows.order_by("confirmed_at", "id")
    else:
        rows = signatures
    items = list(rows[: size + 1])
    more = len(items) > size
    items = items[:size]
    if before:
        items.reverse()
    has_next = more if not before else True
    has_previous = bool(after) or (bool(before) and more)
    return Window(
        items=items,
        next_cursor=cursor_encode(items[-1]) if items and has_next else None,
        previous_cursor=cursor_encode(items[0]) if items and has_previous else None,
    )


class Unaccent(Func):
    """The IMMUTABLE wrapper of unaccent() that the trigram index is built on (migration 0007)."""

    function = "coalition_unaccent"
    output_field = CharField()


# Up to this many matches, a search fetches them through the trigram index and sorts them; above it, the name is
# common enough that walking the list in order finds a page at once. Either way no search reads the whole table
# (a name that matches nothing used to: 1.4 s at a million rows).
SEARCH_FEW_MATCHES = 2000


def name_matches(signatures, q):
    """Names containing `q`. On PostgreSQL accent- and case-insensitive, through the trigram index on
    lower(coalition_unaccent(name)); elsewhere a case-insensitive LIKE."""
    if connection.vendor != "postgresql":
        return signatures.filter(name__icontains=q)
    search_name, needle = Lower(Unaccent("name")), Lower(Unaccent(Value(q)))
    if len(q) >= 3:  # shorter has no trigram to look up
        matching = signatures.alias(search_name=search_name).filter(search_name__contains=needle)
        ids = list(matching.order_by().values_list("id", flat=True)[: SEARCH_FEW_MATCHES + 1])
        if len(ids) <= SEARCH_FEW_MATCHES:
            return signatures.filter(id__in=ids)
    # STRPOS, which the trigram index cannot serve: PostgreSQL walks the list in keyset order and stops after a
    # page, instead of gathering every match of a common name first and sorting them.
    return signatures.alias(position=StrIndex(search_name, needle)).filter(position__gt=0)


def signatory_list(*, letter, craft=None, q=""):
    signatures = Signature.objects.publicly_listed().filter(letter=letter)
    if craft:
        signatures = signatures.filter(craft=craft)
    if q:
        signatures = name_matches(signatures, q)
    return signatures.only("id", *PUBLIC_FIELDS).order_by("-confirmed_at", "-id")


def signatory_notable(*, letter, limit=100):
    """Notable signatories, for their own section at the top of the list."""
    return signatory_list(letter=letter).filter(notable=True)[:limit]


def signatory_public_dict(signature):
    """The public face of a signature: what the API and the CSV export show, and nothing else."""
    return {
        "name": signature.name,
        "craft": signature.craft,
        "craft_label": str(Craft(signature.craft).label),
        "affiliation": signature.affiliation,
        "country": signature.country.code or "",
        "profile_url": signature.profile_url,
        "confirmed_at": signature.confirmed_at.isoformat(),
        "verified": signature.status == Signature.Status.VERIFIED,
        "notable": signature.notable,
    }


COUNTS_CACHE_SECONDS = 5


def signature_counts(*, letter):
    """{'total': n, 'by_craft': {slug: n}} over confirmed and verified signatures, named publicly or not.

    Read from the counter table (one small query, cached briefly), never by counting signatures."""
    key = f"signatures:counts:{letter.pk}"
    counts = cache.get(key)
    if counts is None:
        by_craft = dict.fromkeys(Craft.values, 0)
        for craft, n in SignatureCount.objects.filter(letter=letter).values_list("craft", "n"):
            by_craft[craft] = max(n, 0)
        counts = {"total": sum(by_craft.values()), "by_craft": by_craft}
        cache.set(key, counts, COUNTS_CACHE_SECONDS)
    return counts


def craft_breakdown(counts):
    """[(slug, label, n)] in the order crafts are offered, for templates."""
    return [(slug, label, counts["by_craft"][slug]) for slug, label in Craft.choices]
