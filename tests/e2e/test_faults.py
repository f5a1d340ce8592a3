"""Fault tests on the real services: a dead broker, a killed worker, racing requests."""

import threading
import time

import pytest
from django.db import connection
from django.test import Client

from coalition.mail.models import OutgoingMail
from coalition.mail.tasks import requeue_owed_mail
from coalition.signatures.models import Signature, Submission
from coalition.signatures.tasks import SUBMISSION_GRACE, process_waiting_submissions
from tests.conftest import dead_broker, sign_form_data
from tests.e2e.conftest import wait_for
from tests.factories import coalition_letter

pytestmark = pytest.mark.services


def test_a_signature_made_while_redis_is_down_gets_its_mail_once_redis_is_back(client, celery_worker_process):
    sink = celery_worker_process
    coalition_letter()
    with dead_broker():
        response = client.post("/", sign_form_data())
    assert response.status_code == 302
    assert response["Location"] == "/signed/"
    submission = Submission.objects.get()
    time.sleep(2)
    assert sink.messages == [], "nothing can be sent while the broker is unreachable"

    # Redis is back; the periodic job (run through the broker, as beat would) takes the submission left waiting.
    Submission.objects.update(created_at=submission.created_at - SUBMISSION_GRACE * 2)
    process_waiting_submissions.delay()
    wait_for(lambda: sink.messages, 30, "the mail owed since the outage")
    assert sink.messages[0]["To"] == "ada@example.org"
    wait_for(lambda: OutgoingMail.objects.get().status == OutgoingMail.Status.SENT, 10, "the row marked sent")


def test_a_worker_killed_mid_send_still_mails_exactly_once(client, worker_factory, worker_sink):
    env = {"MAIL_CLAIM_TIMEOUT": "2", "CELERY_VISIBILITY_TIMEOUT": "3"}
    first = worker_factory(**env)
    first.start()
    worker_sink.slow_rcpt = 30  # the SMTP conversation stalls: the worker is mid-send
    coalition_letter()
    assert client.post("/", sign_form_data()).status_code == 302
    sending = OutgoingMail.objects.filter(status=OutgoingMail.Status.SENDING)
    wait_for(sending.exists, 30, "the worker to claim")
    first.kill()
    assert worker_sink.messages == []

    second = worker_factory(**env)
    second.start()
    time.sleep(3)  # the claim of the dead worker goes stale
    # Both roads back are taken at once: the broker redelivers the unacknowledged task, and the periodic job
    # re-enqueues the stale claim. Still one mail.
    requeue_owed_mail.delay()
    requeue_owed_mail.delay()
    wait_for(lambda: worker_sink.messages, 30, "the mail after the worker died")
    time.sleep(5)
    assert len(worker_sink.messages) == 1
    mail = OutgoingMail.objects.get()
    assert mail.status == OutgoingMail.Status.SENT
    # The dead worker's attempt and at least one more; on a loaded machine an SMTP timeout can add a retry, which
    # must still not add a mail (asserted above).
    assert mail.attempts >= 2


def test_twenty_parallel_sign_requests_with_one_address_make_one_row(transactional_db):
    coalition_letter()
    responses = []
    barrier = threading.Barrier(20)

    def sign(n):
        client = Client(REMOTE_ADDR=f"10.9.0.{n}")
        data = sign_form_data(name=f"Racer {n}", email="racer@example.org")
        barrier.wait()
        try:
            responses.append(client.post("/", data).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert responses == [302] * 20
    assert Signature.objects.filter(email="racer@example.org").count() == 1
    assert Signature.objects.get().mails_sent == OutgoingMail.objects.count() >= 1
