import pytest

from coalition.signatures import moderation
from coalition.signatures.api import Stats
from coalition.signatures.models import Craft, Signature, SignatureCount
from coalition.signatures.tasks import reconcile_signature_counts
from tests.conftest import confirm_path

Status = Signature.Status


@pytest.fixture
def organiser(django_user_model):
    return django_user_model.objects.create_superuser("organiser", "organiser@example.org", "a-long-passphrase-1")


def _stats(client):
    return client.get("/api/v1/stats/").json()


def test_counts_follow_confirmation_and_every_moderation_move(client, sign, mailoutbox, organiser):
    sign(craft="musician")
    assert _stats(client)["total"] == 0
    client.post(confirm_path(mailoutbox[0]))
    assert _stats(client)["by_craft"]["musician"] == 1
    signature = Signature.objects.get()
    moderation.signature_move(signature=signature, to=Status.VERIFIED, actor=organiser)
    assert _stats(client)["total"] == 1
    moderation.signature_move(signature=signature, to=Status.FRAUDULENT, actor=organiser)
    assert _stats(client)["total"] == 0
    moderation.signature_restore(signature_ids=[signature.pk], actor=organiser)
    assert _stats(client)["by_craft"]["musician"] == 1
    moderation.signature_move(signature=signature, to=Status.WITHDRAWN, actor=organiser)
    assert _stats(client)["total"] == 0


def test_stats_never_count_the_signatures_table(client, signature_factory):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    signature_factory.create_batch(5)
    with CaptureQueriesContext(connection) as queries:
        assert _stats(client)["total"] == 5
    assert all('"signatures_signature"' not in q["sql"] for q in queries.captured_queries)


def test_the_reconciliation_job_repairs_drift(client, signature_factory):
    signature_factory.create_batch(3, craft="writer")
    SignatureCount.objects.filter(craft="writer").update(n=42)
    Signature.objects.filter(craft="writer").first().delete()  # drift the counters did not see
    assert reconcile_signature_counts.apply().get() == 1
    assert _stats(client)["by_craft"]["writer"] == 2
    assert reconcile_signature_counts.apply().get() == 0


def test_stats_send_cache_headers_and_answer_304_to_a_matching_etag(client, signature_factory):
    signature_factory()
    response = client.get("/api/v1/stats/")
    assert "max-age" in response["Cache-Control"] and "public" in response["Cache-Control"]
    etag = response["ETag"]
    assert client.get("/api/v1/stats/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    signature_factory()
    assert client.get("/api/v1/stats/", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_cached_counts_are_served_without_reading_the_database(
    client, signature_factory, organiser, django_assert_num_queries
):
    signature = signature_factory()
    assert client.get("/api/v1/stats/").json()["total"] == 1
    with django_assert_num_queries(0):
        for url in ("/api/v1/stats/", "/badge.svg", "/embed/counter/"):
            assert client.get(url).status_code == 200
    moderation.signature_move(signature=signature, to=Signature.Status.FRAUDULENT, actor=organiser)
    assert client.get("/api/v1/stats/").json()["total"] == 0, "a move clears the cached figure at once"


def test_stats_answer_exactly_what_their_schema_describes(client, signature_factory):
    signature_factory(craft="visual-artist")
    signature_factory(craft="writer")
    signature_factory(craft="retired-craft")  # stored before a craft was dropped: counted, never listed
    response = client.get("/api/v1/stats/")
    assert response["Content-Type"] == "application/json"
    body = response.json()
    # Same keys, same order, same values as the documented schema would produce from the same figures.
    assert list(body) == ["total", "by_craft"]
    assert body == Stats.model_validate(body).model_dump(by_alias=True)
    assert list(body["by_craft"]) == Craft.values
    assert (body["total"], body["by_craft"]["visual-artist"], body["by_craft"]["writer"]) == (3, 1, 1)


def test_head_on_stats_carries_the_same_etag_and_answers_304_to_it(client, signature_factory):
    signature_factory()
    etag = client.get("/api/v1/stats/")["ETag"]
    head = client.head("/api/v1/stats/")
    assert (head.status_code, head["ETag"], head.content) == (200, etag, b"")
    assert client.head("/api/v1/stats/", HTTP_IF_NONE_MATCH=etag).status_code == 304
