"""Which index each public list query reads, on PostgreSQL: a plan that reads every signature is fast on a
test database and slow at a million rows, so the plan itself is what is checked (the speed is `make bench`'s)."""

import pytest
from django.db import connection

from coalition.signatures.selectors import signatory_notable
from tests.conftest import service_missing


@pytest.fixture(autouse=True)
def _postgresql(db):
    if connection.vendor != "postgresql":
        service_missing("query plans are PostgreSQL's: set DATABASE_URL to a PostgreSQL database")


def _plan(queryset):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # A test database is tiny: without this the planner rightly prefers reading it all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_notable_section_reads_only_notable_signatures(letter, signature_factory):
    signature_factory.create_batch(30)
    signature_factory.create_batch(2, notable=True)
    plan = _plan(signatory_notable(letter=letter))
    assert "signature_notable_keyset" in plan, plan


def _names(client, **params):
    response = client.get("/api/v1/signatories/", params).json()
    return [row["name"] for row in response["results"]], response["next"]


@pytest.mark.parametrize("few_matches", [2000, 3], ids=["through the trigram index", "walking the list"])
def test_a_search_finds_the_same_names_in_the_same_order_however_common_the_name(
    client, signature_factory, settings, monkeypatch, few_matches
):
    from datetime import timedelta

    from django.utils import timezone

    from coalition.signatures import selectors

    monkeypatch.setattr(selectors, "SEARCH_FEW_MATCHES", few_matches)
    settings.SIGNATORIES_PER_PAGE = 3
    now = timezone.now()
    for age, name in enumerate(["María García", "Mario Rossi", "Anna Maria Berg", "Zoë Dupont", "Omar Maris"]):
        signature_factory(name=name, confirmed_at=now - timedelta(hours=age))
    first, after = _names(client, q="MARI")
    second, after = _names(client, q="mari", after=after.split("after=")[1])
    assert first + second == ["María García", "Mario Rossi", "Anna Maria Berg", "Omar Maris"]
    assert after is None
    assert _names(client, q="zzzq") == ([], None)


def test_a_name_that_matches_nothing_is_looked_up_in_the_trigram_index(letter):
    from django.test.utils import CaptureQueriesContext

    from bench.seed import seed_signatures
    from coalition.signatures.selectors import signatory_list

    # Enough rows, analysed, for the planner to weigh its choices as it would on the real list.
    seed_signatures(letter=letter, n=5000)
    with CaptureQueriesContext(connection) as queries:
        signatory_list(letter=letter, q="zzzq")
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + queries.captured_queries[-1]["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "signature_name_trgm" in plan, plan


@pytest.mark.parametrize("few_matches", [2000, 1], ids=["through the trigram index", "walking the list"])
def test_a_short_search_finds_names_with_a_word_starting_with_it_in_order(
    client, signature_factory, monkeypatch, few_matches
):
    from datetime import timedelta

    from django.utils import timezone

    from coalition.signatures import selectors

    monkeypatch.setattr(selectors, "SEARCH_FEW_MATCHES", few_matches)
    now = timezone.now()
    for age, name in enumerate(["Calvin Wu", "Wú Lei", "Anna Kowulski", "Matthew Uwu", "Zoë WU-Berg"]):
        signature_factory(name=name, confirmed_at=now - timedelta(hours=age))
    assert _names(client, q="wu") == (["Calvin Wu", "Wú Lei", "Zoë WU-Berg"], None)
    assert _names(client, q="Z") == (["Zoë WU-Berg"], None)
    assert _names(client, q="qx") == ([], None)


@pytest.mark.parametrize("q", ["qx", "q"])
def test_a_short_search_that_matches_nothing_is_looked_up_in_the_trigram_index(letter, q):
    from django.test.utils import CaptureQueriesContext

    from bench.seed import seed_signatures
    from coalition.signatures.selectors import signatory_list

    seed_signatures(letter=letter, n=5000)
    with CaptureQueriesContext(connection) as queries:
        signatory_list(letter=letter, q=q)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + queries.captured_queries[-1]["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "signature_name_trgm" in plan, plan
    assert "Seq Scan" not in plan, plan
