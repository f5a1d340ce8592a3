"""Signing is the site's hot write path: what it costs in round trips is bounded (the speed is `make bench`'s)."""

from unittest import mock

import pytest

from coalition.mail.models import OutgoingMail
from coalition.signatures.models import Signature
from tests.conftest import service_missing, sign_form_data


def test_signing_takes_a_bounded_number_of_queries(client, letter, django_assert_max_num_queries):
    client.post("/", sign_form_data(email="first@example.org"))  # the switches are cached, as on a busy site
    # The letter, its version and the switches come from the cache. One transaction (here a savepoint, as the test
    # runs inside one) holds the signature and its outbox row. The mail is sent after the commit, by a worker.
    with django_assert_max_num_queries(4):
        response = client.post("/", sign_form_data(email="second@example.org"))
    assert response.status_code == 302
    assert Signature.objects.filter(email="second@example.org").exists()
    assert OutgoingMail.objects.filter(to="second@example.org").exists()


@pytest.mark.django_db(transaction=True)
def test_outside_a_test_transaction_a_second_submission_gets_the_same_answer_and_a_second_mail(client):
    from tests.factories import coalition_letter

    coalition_letter()
    for _ in range(2):
        assert client.post("/", sign_form_data(email="twice@example.org")).status_code == 302
    signature = Signature.objects.get(email="twice@example.org")
    assert signature.mails_sent == 2
    assert OutgoingMail.objects.filter(signature=signature).count() == 2


@pytest.mark.django_db(transaction=True)
def test_signing_a_version_deleted_meanwhile_is_a_clear_error_not_a_crash():
    from coalition.letters.models import LetterVersion
    from coalition.signatures.services import signature_create
    from tests.factories import coalition_letter

    letter = coalition_letter()
    version = LetterVersion.objects.create(letter=letter, number=9, language="en", title="T", body="B")
    LetterVersion.objects.filter(pk=version.pk).delete()
    with pytest.raises(ValueError):
        signature_create(
            letter=letter,
            letter_version=version,
            name="Ada",
            email="ada@example.org",
            craft="writer",
            consent_text="I agree.",
        )
    assert not Signature.objects.exists()


def _postgresql():
    from django.db import connection

    if connection.vendor != "postgresql":
        service_missing("DATABASE_URL is not PostgreSQL: the one-statement insert is PostgreSQL's")


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_signature_and_its_mail_are_stored_in_one_round_trip(client, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from coalition.mail import services as mail_services
    from tests.factories import coalition_letter

    _postgresql()
    coalition_letter()
    enqueued = []
    # Only the request's own queries: the worker, which sends the mail, runs in-process under eager Celery.
    monkeypatch.setattr(mail_services, "mail_enqueue", lambda *, mail_id: enqueued.append(mail_id))
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)  # as in production: sessions last
    client.post("/", sign_form_data(email="first@example.org"))  # the letter and switches are cached
    with CaptureQueriesContext(connection) as queries:
        assert client.post("/", sign_form_data(email="second@example.org")).status_code == 302
    assert len(queries) == 1, [query["sql"][:80] for query in queries]
    # Prepared once by this database session, for the first signature: PostgreSQL does not parse it again.
    assert queries[0]["sql"].startswith("EXECUTE coalition_")
    signature = Signature.objects.get(email="second@example.org")
    mail = OutgoingMail.objects.get(signature=signature)
    assert (mail.to, mail.kind, mail.status) == ("second@example.org", "signature_confirmation", "queued")
    assert enqueued[-1] == mail.pk  # enqueued once committed
    assert signature.email_domain == "example.org"
    assert signature.created_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_signature_whose_mail_cannot_be_stored_is_not_stored_either():
    from django.db import connection

    from coalition.signatures.services import signature_create
    from tests.factories import coalition_letter

    _postgresql()
    letter = coalition_letter()
    # The outbox refuses this one address: its row fails after the signature's was written in the same statement.
    with connection.cursor() as cursor:
        cursor.execute("""ALTER TABLE mail_outgoingmail ADD CONSTRAINT test_refuse CHECK ("to" <> 'ada@example.org')""")
    try:
        with pytest.raises(ValueError):
            signature_create(
                letter=letter,
                letter_version=letter.current_version("en"),
                name="Ada",
                email="ada@example.org",
                craft="writer",
                consent_text="I agree.",
            )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE mail_outgoingmail DROP CONSTRAINT test_refuse")
    assert not Signature.objects.exists()
    assert not OutgoingMail.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_each_signature_stores_its_own_details_as_a_plain_save_would():
    from django.forms.models import model_to_dict

    from coalition.signatures.moderation import ip_prefix_hash
    from coalition.signatures.services import signature_create
    from tests.factories import coalition_letter

    _postgresql()
    letter = coalition_letter()
    version = letter.current_version("en")
    common = {"letter": letter, "letter_version": version, "consent_text": "I agree."}
    # The statement is built once and reused: each signature must still carry its own values.
    first, _ = signature_create(
        **common,
        name="Agnès Varda",
        email="agnes@example.fr",
        craft="director",
        affiliation="SRF",
        country="FR",
        public=False,
        language="fr",
        ip="192.0.2.7",
    )
    second, _ = signature_create(
        **common, name="Ada Writer", email="ada@example.org", craft="writer", profile_url="https://example.org/ada"
    )
    saved = Signature(
        **common,
        name="Ada Writer",
        email="ada.copy@example.org",
        craft="writer",
        profile_url="https://example.org/ada",
        ip_prefix_hash=ip_prefix_hash(""),
        mails_sent=1,
    )
    saved.save()

    def stored(signature):
        row = model_to_dict(Signature.objects.get(pk=signature.pk))
        return {key: value for key, value in row.items() if key not in ("id", "email")}

    assert stored(second) == stored(saved)
    agnes = Signature.objects.get(pk=first.pk)
    assert (agnes.name, agnes.craft, agnes.affiliation, agnes.country, agnes.public, agnes.language) == (
        "Agnès Varda",
        "director",
        "SRF",
        "FR",
        False,
        "fr",
    )
    assert agnes.email_domain == "example.fr"
    assert agnes.ip_prefix_hash == ip_prefix_hash("192.0.2.7") != second.ip_prefix_hash
    assert agnes.created_at < Signature.objects.get(pk=second.pk).created_at
    mails = {mail.to: (mail.language, mail.signature_id) for mail in OutgoingMail.objects.all()}
    assert mails == {"agnes@example.fr": ("fr", first.pk), "ada@example.org": ("en", second.pk)}


def _sign_and_capture(client, email):
    """The first word of each statement the sign POST sent (the mail is not sent: eager Celery would send it here)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from coalition.mail import services as mail_services

    with mock.patch.object(mail_services, "mail_enqueue"), CaptureQueriesContext(connection) as queries:
        assert client.post("/", sign_form_data(email=email)).status_code == 302
    assert Signature.objects.filter(email=email).exists()
    assert OutgoingMail.objects.filter(to=email).exists()
    words = [query["sql"].split(" ", 1)[0] for query in queries]
    return [word for word in words if word not in ("SAVEPOINT", "RELEASE", "ROLLBACK")]


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_new_or_reset_database_session_prepares_the_signing_statement_again(client, monkeypatch):
    from django.db import connection

    from tests.factories import coalition_letter

    _postgresql()
    coalition_letter()
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    _sign_and_capture(client, "first@example.org")
    connection.close()  # a new session: CONN_MAX_AGE reached, or the database restarted
    assert _sign_and_capture(client, "second@example.org")[-2:] == ["PREPARE", "EXECUTE"]
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # what a pooler's reset does to a session
    # The statement is gone: the EXECUTE fails, and the statement is prepared and run again.
    assert _sign_and_capture(client, "third@example.org")[-3:] == ["EXECUTE", "PREPARE", "EXECUTE"]
    assert Signature.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_behind_a_transaction_pooler_the_signing_statement_is_sent_whole(client, monkeypatch):
    from django.db import connection

    from tests.factories import coalition_letter

    _postgresql()
    coalition_letter()
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    # DATABASE_TRANSACTION_POOLER: PgBouncer's transaction mode, where each transaction may get another session.
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    for email in ("first@example.org", "second@example.org"):
        assert _sign_and_capture(client, email)[-1] == "WITH"


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_with_a_connection_per_request_the_signing_statement_is_sent_whole(client, monkeypatch):
    from django.db import connection

    from tests.factories import coalition_letter

    _postgresql()
    coalition_letter()
    # CONN_MAX_AGE=0: the session ends with the request, and preparing would cost a round trip more.
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    for email in ("first@example.org", "second@example.org"):
        assert _sign_and_capture(client, email)[-1:] == ["WITH"]


@pytest.mark.django_db
def test_on_postgresql_a_prepared_signing_statement_inside_a_transaction_recovers_from_its_session(client, monkeypatch):
    from django.db import connection

    from coalition.mail import services as mail_services
    from tests.factories import coalition_letter

    _postgresql()
    coalition_letter()
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    assert connection.in_atomic_block  # the test's transaction: each attempt runs under a savepoint
    # The same address twice: the prepared statement fails on the unique constraint, the savepoint is rolled back,
    # and the person is mailed again, as for any second submission.
    for _ in range(2):
        statements = _sign_and_capture(client, "twice@example.org")
        assert "EXECUTE" in statements and "WITH" not in statements
    assert Signature.objects.get(email="twice@example.org").mails_sent == 2
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    assert _sign_and_capture(client, "after-reset@example.org")[-3:] == ["EXECUTE", "PREPARE", "EXECUTE"]
    # This process forgot it had prepared the statement (say a PREPARE whose answer never came back): the session
    # says it has it, and it is run.
    mail_services._prepared.clear()
    assert _sign_and_capture(client, "after-forgetting@example.org")[-2:] == ["PREPARE", "EXECUTE"]
