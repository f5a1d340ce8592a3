"""Signing is the site's hot write path: what it costs in round trips is bounded (the speed is `make bench`'s)."""

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
