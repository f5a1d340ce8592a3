"""The benchmark's seeding, on a few hundred rows: `make bench` runs it on a million, CI keeps it honest."""

import pytest
from django.db import connection

from bench.seed import seed_signatures
from coalition.signatures.models import Craft, Signature
from coalition.signatures.moderation import reconcile_signature_counts
from tests.conftest import service_missing


@pytest.fixture(autouse=True)
def _postgresql(db):
    if connection.vendor != "postgresql":
        service_missing("the benchmark seeds with COPY: set DATABASE_URL to a PostgreSQL database")


def _index_names():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [Signature._meta.db_table])
        return {row[0] for row in cursor.fetchall()}


def test_seeded_signatures_are_listed_and_counted_exactly(client, letter):
    indexes = _index_names()
    added = seed_signatures(letter=letter, n=200)

    assert sum(added.values()) == 200
    stats = client.get("/api/v1/stats/").json()
    assert stats["total"] == 200
    assert stats["by_craft"] == {craft: added.get(craft, 0) for craft in Craft.values}
    assert reconcile_signature_counts() == 0, "the counter table drifted from the rows"
    assert _index_names() == indexes, "an index dropped for the load was not rebuilt"


def test_seeded_signatures_page_and_search_like_real_ones(client, letter):
    seed_signatures(letter=letter, n=200)
    first = client.get("/api/v1/signatories/").json()
    second = client.get(first["next"]).json()
    assert len(first["results"]) == len(second["results"]) == 50
    assert first["results"][-1]["confirmed_at"] > second["results"][0]["confirmed_at"]
    surname = first["results"][0]["name"].split()[-1]
    found = client.get("/api/v1/signatories/", {"q": surname}).json()["results"]
    assert found and all(surname.lower() in row["name"].lower() for row in found)
    assert client.get("/signatories/", {"craft": "actor"}).status_code == 200


def test_seeding_again_adds_new_people(client, letter):
    seed_signatures(letter=letter, n=120)
    seed_signatures(letter=letter, n=30, seed=2)
    assert client.get("/api/v1/stats/").json()["total"] == 150
    assert Signature.objects.values("email").distinct().count() == 150
    assert reconcile_signature_counts() == 0
