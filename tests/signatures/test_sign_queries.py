"""Signing is the site's hot write path: what it costs in queries is bounded (the speed is `make bench`'s)."""

import pytest

from coalition.mail.models import OutgoingMail
from coalition.signatures.models import Signature, Submission
from coalition.signatures.services import signature_create
from tests.conftest import service_missing, sign_form_data


def test_signing_takes_a_bounded_number_of_queries(client, letter, django_assert_num_queries):
    client.post("/", sign_form_data(email="first@example.org"))  # the switches are cached, as on a busy site
    # The letter, its version and the switches come from the cache. The request stores the submission (one INSERT);
    # the worker makes it a signature and its mail after the commit (the test's transaction never commits).
    with django_assert_num_queries(1):
        response = client.post("/", sign_form_data(email="second@example.org"))
    assert response.status_code == 302
    assert Submission.objects.filter(email="second@example.org").exists()


def test_a_new_a_pending_and_a_confirmed_address_cost_the_request_the_same_and_get_the_same_answer(
    client, letter, signature_factory, django_assert_num_queries, django_capture_on_commit_callbacks, mailoutbox
):
    """The answer's timing must not tell whether an address signed: the request does the same work for each, and
    the worker decides which mail the address gets."""
    signature_factory(email="pending@example.org", pending=True)
    signature_factory(email="confirmed@example.org")
    client.post("/", sign_form_data(email="warm@example.org"))  # the switches are cached, as on a busy site
    answers, statements = {}, {}
    for email in ("new@example.org", "pending@example.org", "confirmed@example.org"):
        with django_capture_on_commit_callbacks() as callbacks, django_assert_num_queries(1) as queries:
            response = client.post("/", sign_form_data(email=email))
        answers[email] = (response.status_code, response["Location"], response.content, tuple(sorted(response.cookies)))
        statements[email] = [query["sql"].split(" VALUES ")[0] for query in queries.captured_queries]
        with django_capture_on_commit_callbacks(execute=True):  # the worker, once the request has committed
            for callback in callbacks:
                callback()
    assert len(set(answers.values())) == 1
    assert len({tuple(sql) for sql in statements.values()}) == 1
    # The worker takes every submission waiting, the warm-up one included, in its batch.
    links = {message.to[0]: "/confirm/" in message.body for message in mailoutbox}
    assert links == {
        "warm@example.org": True,
        "new@example.org": True,
        "pending@example.org": True,
        "confirmed@example.org": False,
    }
    already = [message for message in mailoutbox if message.to == ["confirmed@example.org"]]
    assert "already signed" in already[0].subject
    assert Signature.objects.filter(email="new@example.org", status=Signature.Status.PENDING).exists()
    assert not Submission.objects.exists(), "a processed submission is deleted"


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


@pytest.mark.django_db(transaction=True)
def test_a_signature_whose_mail_cannot_be_stored_is_not_stored_either():
    from django.db import connection

    from tests.factories import coalition_letter

    if connection.vendor != "postgresql":
        service_missing("DATABASE_URL is not PostgreSQL: the test adds a CHECK constraint to a live table")
    letter = coalition_letter()
    # The outbox refuses this one address: its row fails after the signature's was written in the same transaction.
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
def test_each_signature_stores_its_own_details():
    from coalition.signatures.moderation import ip_prefix_hash
    from tests.factories import coalition_letter

    letter = coalition_letter()
    version = letter.current_version("en")
    common = {"letter": letter, "letter_version": version, "consent_text": "I agree."}
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
    ada = Signature.objects.get(pk=second.pk)
    assert (ada.email_domain, ada.profile_url, ada.public, ada.mails_sent) == (
        "example.org",
        "https://example.org/ada",
        True,
        1,
    )
    mails = {mail.to: (mail.kind, mail.language, mail.signature_id) for mail in OutgoingMail.objects.all()}
    assert mails == {
        "agnes@example.fr": ("signature_confirmation", "fr", first.pk),
        "ada@example.org": ("signature_confirmation", "en", second.pk),
    }


def test_one_task_takes_the_submissions_waiting_in_a_batch_and_none_twice(
    client, letter, django_capture_on_commit_callbacks, mailoutbox
):
    from coalition.signatures.tasks import process_submission

    for n in range(3):
        client.post("/", sign_form_data(email=f"surge{n}@example.org"))  # their tasks not run yet, as in a surge
    first = Submission.objects.order_by("created_at").first()
    with django_capture_on_commit_callbacks(execute=True):
        assert process_submission(first.pk) == 3
        assert process_submission(first.pk) == 0, "a task that comes late finds nothing left to do"
    assert sorted(Signature.objects.values_list("email", flat=True)) == [f"surge{n}@example.org" for n in range(3)]
    assert sorted(m.to[0] for m in mailoutbox) == [f"surge{n}@example.org" for n in range(3)]
