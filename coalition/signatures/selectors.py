import base64
import binascii
import hashlib
import json
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.db.models import BigAutoField, CharField, Count, Func, Lookup, Min, OuterRef, Q, Subquery, Value
from django.db.models.functions import Concat, Lower, StrIndex
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_countries import countries

from coalition.letters.selectors import letter_current

from .models import Craft, ListSnapshot, Organisation, Signature, SignatureCount, Submission

MAX_QUERY_LENGTH = 100
PUBLIC_FIELDS = (
    "name",
    "craft",
    "affiliation",
    "country",
    "profile_url",
    "confirmed_at",
    "status",
    "notable",
    "channel_verified_at",
)


class FilterError(ValueError):
    pass


VERIFIED_VALUES = {"true": True, "1": True, "false": False, "0": False}
NO_FILTERS = {"craft": None, "q": "", "country": None, "verified": None, "notable": None, "sort": "newest"}
SORTS = ("newest", "name")


def name_is_searchable(text):
    # Punctuation or emoji alone give the trigram index nothing to look up: the search would read every name.
    return any(char.isalnum() for char in text)


def signatory_filters(params):
    """Validated list filters from a query string, all combinable:
    {'craft': slug or None, 'q': text, 'country': ISO code or None, 'verified': True, False or None}.
    Raises FilterError with a message a person can act on."""
    craft = (params.get("craft") or "").strip().lower()
    if craft and craft not in Craft.values:
        raise FilterError(_("Unknown craft. Use one of: %(crafts)s.") % {"crafts": ", ".join(Craft.values)})
    country = (params.get("country") or "").strip().upper()
    if country and (len(country) != 2 or country not in countries):
        raise FilterError(_("Unknown country. Use a two-letter ISO 3166 code, e.g. FR or US."))
    verified = (params.get("verified") or "").strip().lower()
    if verified and verified not in VERIFIED_VALUES:
        raise FilterError(_("verified must be true or false."))
    # NUL cannot reach PostgreSQL; an over-long query is never a real name.
    q = " ".join((params.get("q") or "").replace("\x00", "").split())[:MAX_QUERY_LENGTH]
    if q and not name_is_searchable(q):
        raise FilterError(_("Search for a name by some of its letters or digits."))
    notable = (params.get("notable") or "").strip().lower()
    if notable and notable not in VERIFIED_VALUES:
        raise FilterError(_("notable must be true or false."))
    sort = (params.get("sort") or "").strip().lower() or "newest"
    if sort not in SORTS:
        raise FilterError(_("Sort by newest or by name."))
    return {
        "craft": craft or None,
        "q": q,
        "country": country or None,
        "verified": VERIFIED_VALUES.get(verified),
        "notable": VERIFIED_VALUES.get(notable),
        "sort": sort,
    }


def filters_query(filters):
    """The filters as a query string to carry into page links ('' when none apply)."""
    params = {
        "craft": filters["craft"],
        "country": filters["country"],
        "verified": {True: "true", False: "false"}.get(filters["verified"]),
        "notable": {True: "true", False: "false"}.get(filters.get("notable")),
        "q": filters["q"],
        "sort": filters.get("sort") if filters.get("sort") != "newest" else None,
    }
    return urlencode({key: value for key, value in params.items() if value})


def _unknown_cursor():
    # Translated when raised, in the reader's language.
    return FilterError(_("Unknown cursor: follow the next and previous links as given."))


def _cursor_text(raw):
    """A cursor's text as it goes in a link: URL-safe base64, without padding."""
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _cursor_raw(cursor):
    """The text of a cursor made by _cursor_text. Raises ValueError (binascii.Error, UnicodeError) for anything else."""
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()


def cursor_encode(signature, sort="newest"):
    if sort == "name":
        return _cursor_text(f"n|{signature.name}|{signature.pk}")
    return _cursor_text(f"{signature.confirmed_at.isoformat()}|{signature.pk}")


def name_cursor_decode(cursor):
    """(name, id) from a cursor of the list sorted by name; FilterError for anything else."""
    try:
        kind, rest = _cursor_raw(cursor).split("|", 1)
        name, _, pk = rest.rpartition("|")
        pk = int(pk)
        # No name holds NUL (the name validator refuses control characters), and PostgreSQL cannot take one.
        if kind != "n" or pk < 1 or "\x00" in name:
            raise ValueError("not a cursor we make")
    except (ValueError, binascii.Error, UnicodeError):
        raise _unknown_cursor() from None
    return name, pk


def cursor_decode(cursor):
    """(confirmed_at, id) from a cursor made by cursor_encode; FilterError for anything else."""
    try:
        stamp, pk = _cursor_raw(cursor).split("|")
        moment, pk = datetime.fromisoformat(stamp), int(pk)
        if moment.tzinfo is None or pk < 1:
            raise ValueError("not a cursor we make")
        # In UTC, as cursors are made: a year-9999 or year-1 moment in a far time zone is out of range there.
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError, binascii.Error, UnicodeError):
        raise _unknown_cursor() from None
    return moment, pk


@dataclass
class Window:
    items: list
    next_cursor: str | None
    previous_cursor: str | None


# How the list can be ordered: (field, newest-first?) after the id that breaks ties.
ORDERS = {"newest": ("confirmed_at", True), "name": ("name", False)}


def signatory_window(*, signatures, after=None, before=None, size, sort="newest"):
    """One page of `signatures` (ordered newest first, or by name) by keyset, never OFFSET: every page costs the
    same at a million rows. `after`/`before` are cursors from a previous window."""
    field, descending = ORDERS[sort]
    decode = name_cursor_decode if sort == "name" else cursor_decode
    rows = signatures
    cursor = after or before
    if cursor:
        value, pk = decode(cursor)
        # "after" goes on in the list's order, "before" back against it; on a descending list "on" is "down".
        down = descending == bool(after)
        lt, lte = ("lt", "lte") if down else ("gt", "gte")
        # (field, id) past (value, pk), with the first half alone too so PostgreSQL can range-scan the index.
        rows = rows.filter(**{f"{field}__{lte}": value}).filter(Q(**{f"{field}__{lt}": value}) | Q(**{f"id__{lt}": pk}))
        if before:
            rows = rows.order_by(*((field, "id") if descending else (f"-{field}", "-id")))
    items = list(rows[: size + 1])
    more = len(items) > size
    items = items[:size]
    if before:
        items.reverse()
    has_next = more if not before else True
    has_previous = bool(after) or (bool(before) and more)
    return Window(
        items=items,
        next_cursor=cursor_encode(items[-1], sort) if items and has_next else None,
        previous_cursor=cursor_encode(items[0], sort) if items and has_previous else None,
    )


def signatory_search(*, letter, limit=1000, **filters):
    """The list for these filters and how many it holds, counted up to `limit` ((count, more than `limit`)). A name
    search on PostgreSQL reads its matches' ids through the trigram index once, for both."""
    q = filters.get("q")
    if not q or connection.vendor != "postgresql":
        return signatory_list(letter=letter, **filters), signatory_match_count(letter=letter, limit=limit, **filters)
    ids = name_match_ids(signatory_list(letter=letter, **{**filters, "q": ""}), q)
    matches = (min(len(ids), limit), len(ids) > limit)
    return signatory_list(letter=letter, **filters, search_ids=ids), matches


def signatory_match_count(*, letter, q="", limit=1000, **filters):
    """How many listed signatures the filters match, counted up to `limit` and no further, names through the trigram
    index: a common surname never costs a walk of the whole list. Returns (count, more than `limit`)."""
    filters.pop("sort", None)
    signatures = signatory_list(letter=letter, **filters)
    if q:
        signatures = name_matches_indexed(signatures, q)
    n = signatures.order_by()[: limit + 1].count()
    return min(n, limit), n > limit


@BigAutoField.register_lookup
class AnyOf(Lookup):
    """`id__any=[...]`: `id = ANY(%s)` with the list as one array parameter (PostgreSQL), where `id__in` writes a
    parameter per value. Registered through Django's documented custom-lookup API."""

    lookup_name = "any"
    prepare_rhs = False  # a list of ids, not one id

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*lhs_params, list(self.rhs)]

    def as_sqlite(self, compiler, connection):
        # SQLite has no arrays: the IN list it always had.
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs) or [None]
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


class Unaccent(Func):
    """The IMMUTABLE wrapper of unaccent() that the trigram index is built on (migration 0007)."""

    function = "coalition_unaccent"
    output_field = CharField()


# Up to this many matches, a search fetches them through the trigram index and sorts them; above it, the name is
# common enough that walking the list in order finds a page at once. Either way no search reads the whole table
# (a name that matches nothing used to: 1.4 s at a million rows).
SEARCH_FEW_MATCHES = 2000
# Shorter queries match the start of a word of the name ("wu" finds "Calvin Wu", not "Wuthering"): anywhere in
# the name they have no trigram to look up, and a rare one read every name, whereas a
# word start is a trigram pg_trgm pads words with ("  w", " wu"). People type short queries as the start of a name.
# What counts is the longest run of letters or digits: pg_trgm splits words at punctuation and spaces, so "o'b" is
# two one-letter words and had no trigram to look up either.
SEARCH_WORD_START_BELOW = 3


def _longest_word(q):
    # Letters with their combining marks and digits, as pg_trgm reads a word: "कुमार" is one word of five
    # characters, though Python's \w leaves its vowel signs out.
    longest = run = 0
    for char in q:
        run = run + 1 if unicodedata.category(char)[0] in "LMN" else 0
        longest = max(longest, run)
    return longest


def _folded(text):
    return Lower(Unaccent(Value(text)))


def name_matches_indexed(signatures, q):
    """The names name_matches finds, through the trigram index only: what a count of them should read."""
    word_start = _longest_word(q) < SEARCH_WORD_START_BELOW
    if connection.vendor != "postgresql":
        if word_start:
            return signatures.filter(Q(name__istartswith=q) | Q(name__icontains=f" {q}"))
        return signatures.filter(name__icontains=q)
    if word_start:
        indexed = Q(search_name__startswith=_folded(q)) | Q(search_name__contains=_folded(f" {q}"))
    else:
        indexed = Q(search_name__contains=_folded(q))
    return signatures.alias(search_name=Lower(Unaccent("name"))).filter(indexed)


def name_match_ids(signatures, q):
    """Up to SEARCH_FEW_MATCHES + 1 ids of the names matching `q` among `signatures`, through the trigram index."""
    return list(name_matches_indexed(signatures, q).order_by().values_list("id", flat=True)[: SEARCH_FEW_MATCHES + 1])


def name_matches(signatures, q, ids=None):
    """Names containing `q` (or, when `q` has no word of SEARCH_WORD_START_BELOW letters, with a word starting with
    `q`). On PostgreSQL accent- and case-insensitive, through the trigram index on lower(coalition_unaccent(name));
    elsewhere a case-insensitive LIKE."""
    if connection.vendor != "postgresql":
        return name_matches_indexed(signatures, q)
    search_name = Lower(Unaccent("name"))
    if _longest_word(q) < SEARCH_WORD_START_BELOW:
        position = StrIndex(Concat(Value(" "), search_name), _folded(f" {q}"))
    else:
        position = StrIndex(search_name, _folded(q))
    ids = name_match_ids(signatures, q) if ids is None else ids
    if len(ids) <= SEARCH_FEW_MATCHES:
        # One array parameter, not an IN list of up to 2,000: Django compiles and PostgreSQL plans it at once.
        return signatures.filter(id__any=ids)
    # STRPOS, which the trigram index cannot serve: PostgreSQL walks the list in keyset order and stops after a
    # page, instead of gathering every match of a common name first and sorting them.
    return signatures.alias(position=position).filter(position__gt=0)


def signatory_list(
    *, letter, craft=None, q="", country=None, verified=None, notable=None, sort="newest", search_ids=None
):
    """The public list with these filters. `search_ids`: name_match_ids already read for `q` and these filters."""
    signatures = Signature.objects.publicly_listed().filter(letter=letter)
    if notable is not None:
        signatures = signatures.filter(notable=notable)
    if craft:
        signatures = signatures.filter(craft=craft)
    if country:
        signatures = signatures.filter(country=country)
    if verified is not None:
        signatures = signatures.filter(status=Signature.Status.VERIFIED if verified else Signature.Status.CONFIRMED)
    if q:
        signatures = name_matches(signatures, q, ids=search_ids)
    ordering = ("name", "id") if sort == "name" else ("-confirmed_at", "-id")
    return signatures.only("id", *PUBLIC_FIELDS).order_by(*ordering)


def signatories_with_bios(signatures):
    """`signatures` with `member_bio`: the public bio a member wrote on their profile, when one of their verified
    addresses signed; in the same query (a correlated subquery, run only for the rows fetched). Read through the user
    model's relations, so the list needs no code of the accounts app."""
    bios = get_user_model().objects.filter(
        emailaddress__email=OuterRef("email"), emailaddress__verified=True, member_profile__bio__gt=""
    )
    return signatures.annotate(member_bio=Subquery(bios.values("member_profile__bio")[:1]))


def signatory_notable(*, letter, limit=100):
    """Notable signatories, for their own section at the top of the list."""
    return signatory_list(letter=letter).filter(notable=True)[:limit]


NOTABLE_PREVIEW_SECONDS = 60


NOTABLE_PREVIEW_SIZE = 12


def _notable_preview_key(letter_id, language):
    return f"signatures:notable-preview:{letter_id}:{language}"


def _letter_people_key(letter_id, language):
    return f"signatures:letter-people:{letter_id}:{language}"


def notable_preview_keys(letter_ids):
    """The cached previews of these letters, one per language (craft labels are translated): the notable names and
    the initiators and organisations the letter page shows."""
    return [
        key(letter_id, code)
        for letter_id in letter_ids
        for code, _ in settings.LANGUAGES
        for key in (_notable_preview_key, _letter_people_key)
    ]


INITIATORS_SHOWN = 24
ORGANISATIONS_ON_LETTER = 30


def letter_people(*, letter):
    """For the letter page, cached like the notable preview: the initiators (verified signatures organisers chose)
    and the verified organisations that endorse it, each with public fields only."""
    key = _letter_people_key(letter.pk, get_language())
    people = cache.get(key)
    if people is None:
        initiators = (
            signatory_list(letter=letter, verified=True)
            .filter(initiator=True)
            .order_by("confirmed_at", "id")[:INITIATORS_SHOWN]
        )
        people = {
            "initiators": [signatory_public_dict(s) for s in initiators],
            "organisations": [
                organisation_public_dict(o) for o in _organisations_by_name(letter)[:ORGANISATIONS_ON_LETTER]
            ],
        }
        cache.set(key, people, NOTABLE_PREVIEW_SECONDS)
    return people


def signatory_notable_preview(*, letter):
    """A few notable signatories for the letter page, cached: the busiest page should not query for them each time.
    Moderation clears it (a move, a notable mark, a signer's edit), so a removal shows on the letter page at once too."""
    key = _notable_preview_key(letter.pk, get_language())
    rows = cache.get(key)
    if rows is None:
        rows = [signatory_public_dict(s) for s in signatory_notable(letter=letter, limit=NOTABLE_PREVIEW_SIZE)]
        cache.set(key, rows, NOTABLE_PREVIEW_SECONDS)
    return rows


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
        "channel_verified": signature.channel_verified_at is not None,
    }


# New columns go at the end: a script that reads columns by position keeps working.
PUBLIC_CSV_HEADER = (
    "name",
    "craft",
    "craft_label",
    "affiliation",
    "country",
    "profile_url",
    "confirmed_at",
    "verified",
    "notable",
)


def _csv_value(value):
    # As the API writes them, not Python's "True".
    return ("true" if value else "false") if isinstance(value, bool) else value


def signatory_csv_rows(*, letter, **filters):
    """Rows of the public CSV (the download and the daily snapshots), read in chunks, never all in memory."""
    for signature in signatory_list(letter=letter, **filters).iterator(chunk_size=2000):
        public = signatory_public_dict(signature)
        yield [_csv_value(public[key]) for key in PUBLIC_CSV_HEADER]


def list_snapshots(*, letter, limit=1000):
    return ListSnapshot.objects.filter(letter=letter).order_by("-day")[:limit]


def list_snapshot_for_day(*, letter, day):
    return ListSnapshot.objects.filter(letter=letter, day=day).first()


def list_snapshot_chain_problems(*, letter):
    """Check every snapshot of `letter`, oldest first, against its file and its neighbours: the file's SHA-256
    and size, recomputed from the storage, must be the recorded ones, and each snapshot must link to the one on
    record before it. Returns (how many snapshots were checked, [(day, what is wrong), ...] in day order)."""
    problems, seen, before, checked = [], {}, None, 0
    for snapshot in ListSnapshot.objects.filter(letter=letter).order_by("day").iterator():
        checked += 1
        day = snapshot.day.isoformat()
        digest, size = hashlib.sha256(), 0
        try:
            with snapshot.file.open("rb") as handle:
                for chunk in handle.chunks():
                    digest.update(chunk)
                    size += len(chunk)
        except OSError:
            problems.append((day, f"the file {snapshot.file.name} cannot be read (missing or unreadable)"))
        else:
            if digest.hexdigest() != snapshot.sha256 or size != snapshot.size:
                problems.append(
                    (
                        day,
                        f"the file was altered: its SHA-256 is {digest.hexdigest()} ({size} bytes), "
                        f"the recorded one {snapshot.sha256} ({snapshot.size} bytes)",
                    )
                )
        expected = before.sha256 if before else ""
        if snapshot.prev_sha256 != expected:
            problems.append((day, _chain_break(snapshot, before, seen)))
        seen[snapshot.sha256] = day
        before = snapshot
    return checked, problems


def _chain_break(snapshot, before, seen):
    """What a broken link says about the days before `snapshot`: which were inserted, or that one went missing."""
    linked = snapshot.prev_sha256
    if before is None:
        return f"it links to a snapshot (SHA-256 {linked}) that is not on record: an earlier day was removed"
    if not linked:
        return f"it is recorded as the first snapshot, yet {before.day} is on record before it: a day was inserted"
    if linked in seen:
        return (
            f"it links to {seen[linked]}, not to {before.day}, the day on record before it: "
            f"a day was inserted after {seen[linked]}"
        )
    return (
        f"it links to a snapshot (SHA-256 {linked}) that is not on record, not to {before.day} before it: "
        "a day was removed or its record altered"
    )


COUNTS_CACHE_SECONDS = 5


def counts_cache_key(letter_slug):
    # By slug, not id: the current letter's counts can then be read without reading the letter first.
    return f"signatures:counts:{letter_slug}"


def signature_counts(*, letter):
    """{'total': n, 'by_craft': {slug: n}} over confirmed and verified signatures, named publicly or not.

    Read from the counter table (one small query, cached briefly), never by counting signatures."""
    key = counts_cache_key(letter.slug)
    counts = cache.get(key)
    if counts is None:
        by_craft = dict.fromkeys(Craft.values, 0)
        total = 0
        for craft, n in SignatureCount.objects.filter(letter=letter).values_list("craft", "n"):
            total += max(n, 0)
            # Only the crafts the API documents: the stats API renders this dict as it is.
            if craft in by_craft:
                by_craft[craft] = max(n, 0)
        counts = {"total": total, "by_craft": by_craft}
        cache.set(key, counts, COUNTS_CACHE_SECONDS)
    return counts


def signature_counts_current():
    """The current letter's counts. A cache hit reads nothing else, the letter included: the stats API, the badge
    and the embedded counter are the most-read addresses of the site."""
    counts = cache.get(counts_cache_key(settings.COALITION_LETTER_SLUG))
    return counts if counts is not None else signature_counts(letter=letter_current())


def craft_breakdown(counts):
    """[(slug, label, n)] in the order crafts are offered, for templates."""
    return [(slug, label, counts["by_craft"][slug]) for slug, label in Craft.choices]


ORGANISATIONS_SHOWN = 1000
ORGANISATIONS_PER_PAGE = 500


def organisation_page(*, letter, after=None, size=None):
    """(verified organisations by name, at most `size` of them after the cursor `after`; the cursor of the next page
    or None; how many there are in all). FilterError for a cursor this did not make."""
    size = size or ORGANISATIONS_PER_PAGE
    rows = _organisations_by_name(letter)
    if after is not None:
        name, pk = _organisation_cursor_decode(after)
        rows = rows.filter(Q(name__gt=name) | Q(name=name, id__gt=pk))
    rows = list(rows[: size + 1])
    following = _organisation_cursor_encode(rows[size - 1]) if len(rows) > size else None
    # One page holds them all, most of the time: no need to count them again.
    total = len(rows) if after is None and following is None else _organisations_by_name(letter).count()
    return rows[:size], following, total


def _organisation_cursor_encode(organisation):
    return _cursor_text(json.dumps([organisation.name, organisation.pk], ensure_ascii=False))


def _organisation_cursor_decode(cursor):
    try:
        name, pk = json.loads(_cursor_raw(cursor))
        if not isinstance(name, str) or "\x00" in name or type(pk) is not int or pk < 1:
            raise ValueError("not a cursor we make")
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        raise _unknown_cursor() from None
    return name, pk


def organisation_list(*, letter):
    """Verified organisations, by name, with only their public fields."""
    return _organisations_by_name(letter)[:ORGANISATIONS_SHOWN]


def _organisations_by_name(letter):
    return (
        Organisation.objects.publicly_listed()
        .filter(letter=letter)
        .only("id", "name", "kind", "website", "country", "verified_at")
        .order_by("name", "id")
    )


def organisation_public_dict(organisation):
    """The public face of an organisation: never its contact's name or address."""
    return {
        "name": organisation.name,
        "kind": organisation.kind,
        "kind_label": str(Organisation.Kind(organisation.kind).label),
        "website": organisation.website,
        "country": organisation.country.code or "",
        "verified_at": organisation.verified_at.isoformat(),
    }


def submission_lag(*, now=None):
    """How many sign form submissions wait for the worker and the age in seconds of the oldest; "status": "late"
    when it waited longer than MAIL_LAG_ALERT_SECONDS (its signer waits for a confirmation mail)."""
    now = now or timezone.now()
    row = Submission.objects.aggregate(waiting=Count("pk"), oldest=Min("created_at"))
    oldest = int((now - row["oldest"]).total_seconds()) if row["oldest"] else 0
    late = oldest > settings.MAIL_LAG_ALERT_SECONDS
    return {"status": "late" if late else "ok", "waiting": row["waiting"], "oldest_seconds": oldest}
