"""Every mail carries an unsubscribe link that looks its address up, case aside, among the members' addresses; on
PostgreSQL that lookup must read an index, or a surge of confirmations reads the whole address table per mail."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import connection

from tests.conftest import service_missing


@pytest.fixture(autouse=True)
def _postgresql(db):
    if connection.vendor != "postgresql":
        service_missing("query plans are PostgreSQL's: set DATABASE_URL to a PostgreSQL database")


def _plan(queryset):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a test database is small enough to read whole
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    "queryset, index",
    [
        (lambda: EmailAddress.objects.filter(email__iexact="Ada@Example.org"), "account_emailaddress_email_upper"),
        (lambda: get_user_model().objects.filter(email__iexact="Ada@Example.org"), "auth_user_email_upper"),
    ],
    ids=["member addresses", "accounts"],
)
def test_an_address_is_found_through_an_index_whatever_its_case(queryset, index):
    assert index in _plan(queryset()), _plan(queryset())
