"""Signing is the site's hot write path: what it costs in round trips is bounded (the speed is `make bench`'s)."""

import pytest

from coalition.mail.models import OutgoingMail
from coalition.signatures.models import Signature
from tests.conftest import sign_form_data


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
