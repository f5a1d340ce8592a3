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
