"""Confirmation mail in batches, on the real services: a Redis broker, a real worker and an SMTP sink."""

import time

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from coalition.accounts.models import CoalitionUpdate, MemberProfile
from coalition.accounts.updates import coalition_update_send
from coalition.mail.models import OutgoingMail
from coalition.mail.tasks import requeue_owed_mail
from coalition.signatures.services import signature_create
from tests.e2e.conftest import wait_for
from tests.factories import coalition_letter

pytestmark = pytest.mark.services


def _sign(letter, emails):
    for email in emails:
        signature_create(
            letter=letter,
            letter_version=letter.current_version("en"),
            name="Signer",
            email=email,
            craft="writer",
            consent_text="I agree.",
        )


def _received(sink):
    return [message["To"] for message in list(sink.messages)]


def test_a_batch_with_a_refused_address_sends_the_rest_once_each(worker_factory, worker_sink):
    letter = coalition_letter()
    emails = [f"signer{n}@example.org" for n in range(10)]
    worker_sink.refuse_rcpt["signer3@example.org"] = ("450 4.2.0 Mailbox busy", 1)
    worker_sink.refuse_rcpt["signer6@example.org"] = ("550 5.1.1 No such user", 99)
    _sign(letter, emails)  # queued before any worker runs: the first one takes them as a batch
    worker_factory().start()
    # Everyone but the refused address, once; the busy mailbox after its retry.
    wanted = sorted(email for email in emails if email != "signer6@example.org")
    wait_for(lambda: sorted(_received(worker_sink)) == wanted, 60, "every confirmation but the refused one")
    time.sleep(2)
    assert sorted(_received(worker_sink)) == wanted
    refused = OutgoingMail.objects.get(to="signer6@example.org")
    assert refused.status == OutgoingMail.Status.FAILED and "550" in refused.last_error
    busy = OutgoingMail.objects.get(to="signer3@example.org")
    assert busy.status == OutgoingMail.Status.SENT and busy.attempts == 2
    assert OutgoingMail.objects.filter(status=OutgoingMail.Status.SENT).count() == 9


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(worker_factory, worker_sink):
    env = {"MAIL_CLAIM_TIMEOUT": "2", "CELERY_VISIBILITY_TIMEOUT": "3"}
    letter = coalition_letter()
    emails = [f"signer{n}@example.org" for n in range(10)]
    _sign(letter, emails)
    worker_sink.stall_rcpt["signer4@example.org"] = 30  # the worker is mid-batch when it dies
    first = worker_factory(**env)
    first.start()
    wait_for(lambda: len(worker_sink.messages) == 4, 60, "the first four of the batch")
    assert OutgoingMail.objects.filter(status=OutgoingMail.Status.SENDING).count() == 6
    first.kill()

    second = worker_factory(**env)
    second.start()
    time.sleep(3)  # the dead worker's claims go stale
    requeue_owed_mail.delay()
    wait_for(lambda: len(worker_sink.messages) >= 10, 60, "the rest of the batch")
    time.sleep(3)
    assert sorted(_received(worker_sink)) == sorted(emails)
    assert OutgoingMail.objects.filter(status=OutgoingMail.Status.SENT).count() == 10


def _members(count):
    User = get_user_model()
    now = timezone.now()
    users = User.objects.bulk_create(User(username=f"member{n}", email=f"member{n}@example.org") for n in range(count))
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users
    )
    MemberProfile.objects.bulk_create(
        MemberProfile(user=user, updates_consent_text="Yes.", updates_consented_at=now) for user in users
    )


def test_an_update_to_a_thousand_members_does_not_delay_confirmations(worker_factory, worker_sink):
    letter = coalition_letter()
    _members(1000)
    update = CoalitionUpdate.objects.create(subject="News", body="Hello.")
    # The organiser's click, before anyone signs: the fan-out waits on the bulk queue, then runs in parts.
    assert coalition_update_send(update=update, actor=None)
    emails = [f"signer{n}@example.org" for n in range(20)]
    _sign(letter, emails)
    # The README's worker: all three queues, confirmations first; updates at 50 a second.
    worker_factory(queues="mail,default,bulk", MAIL_BULK_RATE="50").start()
    started = time.monotonic()
    wait_for(lambda: set(emails) <= set(_received(worker_sink)), 30, "the twenty confirmations")
    waited = time.monotonic() - started
    updates_before = sum(1 for to in _received(worker_sink) if to.startswith("member"))
    assert updates_before < 500, (waited, updates_before)
    wait_for(lambda: len(worker_sink.messages) >= 1020, 120, "the update to every member")
    time.sleep(2)
    received = _received(worker_sink)
    assert len(received) == len(set(received)) == 1020
    update.refresh_from_db()
    assert update.queued_at is not None and update.recipients == 1000


def test_confirmations_signed_while_an_update_is_paced_go_out_at_once_and_the_update_keeps_its_pace(
    worker_factory, worker_sink
):
    letter = coalition_letter()
    _members(150)
    update = CoalitionUpdate.objects.create(subject="News", body="Hello.")
    assert coalition_update_send(update=update, actor=None)
    # A slow pace: 5 a second is a batch of 50 every ten seconds. One process, as the tests' workers run: a paced
    # update must not take the only place a confirmation could be fetched into.
    worker_factory(queues="mail,default,bulk", MAIL_BULK_RATE="5").start()
    wait_for(lambda: len(worker_sink.messages) >= 50, 60, "the update's first batch")
    first_batch = time.monotonic()
    for n in range(3):
        time.sleep(1)
        signed = time.monotonic()
        _sign(letter, [f"late{n}@example.org"])
        wait_for(lambda n=n: f"late{n}@example.org" in _received(worker_sink), 30, "the confirmation")
        # The update's next batch is ten seconds away: the confirmation did not wait for it.
        assert time.monotonic() - signed < 5
    wait_for(lambda: len(worker_sink.messages) >= 153, 60, "the rest of the update")
    # Three batches of 50, ten seconds apart: the pace held.
    assert time.monotonic() - first_batch >= 15
    time.sleep(2)
    received = _received(worker_sink)
    assert len(received) == len(set(received)) == 153


def _other_sessions():
    """(pid, start) of each database session open now besides the test's own: the worker's."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, backend_start FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        return set(cursor.fetchall())


def test_a_worker_keeps_its_database_connection_from_one_task_to_the_next(worker_factory, worker_sink):
    if connection.vendor != "postgresql":
        pytest.skip("reads PostgreSQL's session list")
    letter = coalition_letter()
    worker_factory(CONN_MAX_AGE="60").start()
    _sign(letter, ["first@example.org"])
    wait_for(lambda: len(worker_sink.messages) == 1, 30, "the first confirmation")
    kept = _other_sessions()
    for n in range(5):
        _sign(letter, [f"signer{n}@example.org"])  # one at a time: a task each
        wait_for(lambda n=n: len(worker_sink.messages) == n + 2, 30, "the next confirmation")
    # The session the worker had after its first mail sent the next five: no new connection (and PostgreSQL
    # backend) per task.
    assert kept and kept <= _other_sessions()
