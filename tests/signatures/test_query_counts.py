"""Every public page and API call makes a fixed number of queries: the same with a few rows as with many, and
whatever SIGNATORIES_PER_PAGE says.

Each address is counted twice: cold, just after the cache is emptied (a deploy, or the letter, switches and counts
entries expiring), and warm, the same request again, as a busy site serves it. A streamed body is read to its end
inside the count."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.db import connection

from coalition.core.memo import memos_forget
from coalition.core.models import Switches
from coalition.signatures import services
from coalition.signatures.models import AuditEvent, Craft, Signature
from coalition.signatures.moderation import counts_apply, signature_move
from coalition.signatures.selectors import cursor_encode, signatory_list
from tests.factories import SignatureFactory

REMOVALS = (Signature.Status.REJECTED, Signature.Status.FRAUDULENT, Signature.Status.WITHDRAWN)
CRAFTS = (Craft.ACTOR, Craft.WRITER, Craft.MUSICIAN)


class PublicRows:
    """Rows of every kind a public page reads, added a day at a time: signatures of several crafts and countries
    (some notable, some verified), verified organisations, removals the corrections log counts, daily snapshots."""

    def __init__(self, letter, organisation_factory):
        self.letter = letter
        self.organisation_factory = organisation_factory
        self.days = 0
        # The switches row exists on any site that has served a page; creating it is a one-off.
        Switches.current()
        pending = SignatureFactory(letter=letter, pending=True)
        self.confirm_path = urlsplit(services.signature_confirmation_link(signature=pending)).path
        waiting = organisation_factory(letter=letter)
        self.organisation_confirm_path = urlsplit(services.organisation_confirmation_link(organisation=waiting)).path

    def grow_to(self, days):
        now = datetime.now(UTC)
        for day in range(self.days, days):
            SignatureFactory(
                letter=self.letter,
                name=f"Person {day}",
                craft=CRAFTS[day % 3],
                country="FR" if day % 2 else "GB",
                notable=day % 3 == 0,
                status=Signature.Status.VERIFIED if day % 4 == 0 else Signature.Status.CONFIRMED,
            )
            self.organisation_factory(letter=self.letter, verified=True)
            removed = SignatureFactory(letter=self.letter)
            signature_move(signature=removed, to=REMOVALS[day % 3])
            AuditEvent.objects.filter(signature=removed).update(created_at=now - timedelta(days=day))
            services.list_snapshot_take(letter=self.letter, now=now - timedelta(days=day))
        self.days = max(self.days, days)

    def path(self, template):
        listed = list(signatory_list(letter=self.letter)[:3])
        return template.format(
            confirm=self.confirm_path,
            organisation_confirm=self.organisation_confirm_path,
            today=datetime.now(UTC).date().isoformat(),
            after=cursor_encode(listed[1]),
            before=cursor_encode(listed[2]),
            after_by_name=cursor_encode(signatory_list(letter=self.letter, sort="name")[1], "name"),
        )


@pytest.fixture
def public_rows(letter, organisation_factory):
    return PublicRows(letter, organisation_factory)


def read(response):
    """The whole body: a streamed response queries as it is read."""
    return b"".join(response.streaming_content) if response.streaming else response.content


# A name search costs one more query on PostgreSQL: the ids of the matches, through the trigram index, before the
# page of them in list order (selectors.name_matches). SQLite filters the page with LIKE in the same query.
SEARCH = 1 if connection.vendor == "postgresql" else 0

# (path, queries cold, queries warm). Cold reads fill the letter (1 query), the counts (1), the switches (1), the
# letter page's notable preview (1), its initiators and organisations (2) and the consent registry's counter (1) into
# the cache.
PUBLIC_PAGES = [
    ("/", 7, 0),
    ("/crafts/actor/", 7, 0),
    ("/signed/", 0, 0),
    ("{confirm}", 1, 1),  # the token, its signature and the version signed, in one query
    ("/confirm/not-a-token/", 1, 1),
    # The list: a page of names, the notable ones and the organisations on the first page, the counts when cold.
    ("/signatories/", 5, 3),
    # A filtered list also counts its matches, up to a bound (list.html: "12 matches", "More than 1,000 matches").
    ("/signatories/?craft=writer", 4, 2),
    ("/signatories/?country=FR&verified=false", 4, 2),
    # On PostgreSQL the search's ids through the trigram index also give the count (selectors.signatory_search).
    ("/signatories/?q=person", 4, 2),
    ("/signatories/?q=pe", 4, 2),  # two letters: the start of a word
    ("/signatories/?sort=name", 5, 3),
    ("/signatories/?sort=name&after={after_by_name}", 3, 1),
    ("/signatories/?after={after}", 3, 1),
    ("/signatories/?before={before}", 3, 1),
    ("/signatories/?craft=writer&country=FR&q=person&after={after}", 4, 2),
    ("/signatories.csv", 2, 1),
    ("/signatories.csv?craft=writer&country=FR&verified=false&q=person", 2 + SEARCH, 1 + SEARCH),
    ("/feeds/notable.atom", 2, 1),
    ("/corrections/", 1, 1),  # one grouped count; it reads no letter
    ("/press/", 3, 1),
    ("/press/snapshots/{today}.csv", 3, 2),  # its row, then its file from the database storage
    ("/embed/counter/", 2, 0),
    ("/badge.svg", 2, 0),
    ("/embed/counter.js", 0, 0),
    ("/share/letter.png", 2, 0),  # a cold card is drawn from the counts, then served from the cache
    ("/share/writer.png", 2, 0),
    ("/organisations/endorse/", 2, 0),  # the letter and the switches (paused signing pauses endorsements)
    ("{organisation_confirm}", 1, 1),
    ("/api/v1/signatories/", 2, 1),
    ("/api/v1/signatories/?after={after}", 2, 1),
    ("/api/v1/signatories/?before={before}", 2, 1),
    ("/api/v1/signatories/?craft=writer&country=FR&verified=false&q=person", 2 + SEARCH, 1 + SEARCH),
    ("/api/v1/stats/", 2, 0),
    ("/api/v1/organisations/", 2, 1),  # a second page also counts them all
    ("/api/v1/schema/", 0, 0),
]


@pytest.mark.parametrize(("path", "cold", "warm"), PUBLIC_PAGES)
def test_every_public_page_makes_the_same_queries_however_many_rows_and_whatever_the_page_size(
    client, public_rows, settings, django_assert_num_queries, path, cold, warm
):
    # 3 rows of each kind at 5 a page; then 60 (more than the default page of 50) at 5 and at 50 a page.
    for days, size in ((3, 5), (60, 5), (60, 50)):
        public_rows.grow_to(days)
        settings.SIGNATORIES_PER_PAGE = size
        url = public_rows.path(path)
        cache.clear()
        memos_forget()
        for state, expected in (("cold", cold), ("warm", warm)):
            with django_assert_num_queries(expected, info=f"{url} {state}, {days} days of rows, {size} a page"):
                response = client.get(url)
                read(response)
            assert response.status_code == (404 if path.startswith("/confirm/not-") else 200)


def listed_in_bulk(letter, n):
    """`n` more listed signatures in one INSERT, the counters following, as an import would add them."""
    version = letter.current_version("en")
    rows = SignatureFactory.build_batch(n, letter=letter, letter_version=version)
    for row in rows:
        row.email_domain = row.email.rpartition("@")[2]
        row.mailbox_key = row.email
    Signature.objects.bulk_create(rows)
    counts_apply({(letter.pk, Craft.ACTOR): n})


def test_the_csv_download_makes_the_same_queries_across_several_chunks_of_rows(
    client, letter, django_assert_num_queries
):
    # The rows are read in chunks of 2,000 (selectors.signatory_csv_rows). On PostgreSQL that is a server-side
    # cursor: one query, then one FETCH round trip a chunk that Django does not count as a query. SQLite reads the
    # chunks from the same statement. So the count stays fixed; only the round trips on PostgreSQL grow, a chunk
    # at a time.
    for total in (3, 4500):
        listed_in_bulk(letter, total - Signature.objects.count())
        cache.clear()
        memos_forget()
        for state, expected in (("cold", 2), ("warm", 1)):
            with django_assert_num_queries(expected, info=f"signatories.csv {state}, {total} rows"):
                lines = read(client.get("/signatories.csv")).count(b"\n")
            assert lines == 1 + total


def test_on_postgresql_the_csv_download_reads_through_a_server_side_cursor(client, letter):
    from tests.conftest import service_missing

    if connection.vendor != "postgresql":
        service_missing("PostgreSQL (DATABASE_URL) for its server-side cursors")
    listed_in_bulk(letter, 3)
    body = iter(client.get("/signatories.csv").streaming_content)
    next(body), next(body)  # the header, then the first row, which opens the cursor
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_cursors ")
        statements = [statement for (statement,) in cursor.fetchall()]
    assert any('FROM "signatures_signature"' in statement for statement in statements), statements
    assert len(list(body)) == 2
