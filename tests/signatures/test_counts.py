import pytest

from coalition.signatures import moderation
from coalition.signatures.api import Stats
from coalition.signatures.models import Craft, Signature, SignatureCount
from coalition.signatures.selectors import COUNTS_CACHE_SECONDS
from coalition.signatures.tasks import reconcile_signature_counts
from tests.conftest import confirm_path

Status = Signature.Status


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
    # Any shared HTTP cache in front may answer readers for these few seconds: the language is in the address, so
    # one copy serves every reader of /api/v1/stats/.
    assert set(response["Cache-Control"].split(", ")) == {"public", f"max-age={COUNTS_CACHE_SECONDS}"}
    assert "Accept-Language" not in response.get("Vary", "")
    etag = response["ETag"]
    for if_none_match in (etag, f"W/{etag}", f'"stale", {etag}', "*"):
        answer = client.get("/api/v1/stats/", HTTP_IF_NONE_MATCH=if_none_match)
        assert (answer.status_code, answer.content) == (304, b""), if_none_match
        assert (answer["ETag"], answer["Cache-Control"]) == (etag, response["Cache-Control"])
    assert client.get("/api/v1/stats/", HTTP_IF_NONE_MATCH='"something-else"').content == response.content
    signature_factory()
    fresh = client.get("/api/v1/stats/", HTTP_IF_NONE_MATCH=etag)
    assert (fresh.status_code, fresh.json()["total"], fresh["ETag"] != etag) == (200, 2, True)


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


@pytest.mark.django_db(transaction=True)
def test_the_reconciliation_job_never_repairs_away_a_confirmation_committing_while_it_runs():
    import threading
    import time

    from django.db import connection, transaction

    from tests.factories import SignatureFactory

    if connection.vendor != "postgresql":
        pytest.skip("row locks between two connections: PostgreSQL only")
    SignatureFactory(craft="writer")  # the writers' counter exists, at 1
    newcomer = SignatureFactory(craft="writer", pending=True)
    job = {}

    def reconcile_in_another_process():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                job["pid"] = cursor.fetchone()[0]
            job["repaired"] = reconcile_signature_counts.apply().result
        finally:
            connection.close()

    with transaction.atomic():
        moderation.signature_confirm_by_signer(signature_id=newcomer.pk)
        # The job starts while the confirmation is written but not yet committed, and must wait for it.
        worker = threading.Thread(target=reconcile_in_another_process)
        worker.start()
        deadline = time.monotonic() + 10
        while True:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted", [job.get("pid", -1)])
                if cursor.fetchone():
                    break
            assert time.monotonic() < deadline, "the job never waited for the confirmation's transaction"
            assert worker.is_alive(), "the job finished without waiting for the confirmation's transaction"
            time.sleep(0.01)
    worker.join()
    assert SignatureCount.objects.get(craft="writer").n == 2
    assert job["repaired"] == 0


@pytest.mark.django_db(transaction=True)
def test_a_read_between_a_moderation_move_and_its_commit_cannot_keep_the_old_figure(client, organiser):
    import threading

    from django.db import connection, transaction

    from tests.factories import SignatureFactory

    signature = SignatureFactory()
    assert _stats(client)["total"] == 1
    seen = []

    def another_request():
        try:
            seen.append(_stats(client)["total"])
        finally:
            connection.close()

    with transaction.atomic():
        moderation.signature_move(signature=signature, to=Status.FRAUDULENT, actor=organiser)
        # Another request reads the counts before the commit, and caches what is committed so far.
        reader = threading.Thread(target=another_request)
        reader.start()
        reader.join()
    assert seen == [1]
    assert _stats(client)["total"] == 0
