from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from coalition.celery import app
from coalition.mail.models import OutgoingMail
from coalition.mail.selectors import REQUEUE_GRACE
from coalition.mail.sending import TemporaryMailError, mail_send, mail_send_batch
from coalition.mail.tasks import requeue_owed_mail, send_outgoing_mail
from coalition.signatures.models import Signature, Submission
from coalition.signatures.services import signature_create
from coalition.signatures.tasks import process_waiting_submissions
from tests.conftest import dead_broker


def _create(letter, email="ada@example.org"):
    return signature_create(
        letter=letter,
        letter_version=letter.current_version("en"),
        name="Ada",
        email=email,
        craft="writer",
        consent_text="I agree.",
    )


def test_the_mail_owed_is_written_in_the_signing_transaction(letter, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        signature, created = _create(letter)
    assert created
    mail = OutgoingMail.objects.get()
    assert (mail.kind, mail.to, mail.signature, mail.status) == (
        OutgoingMail.Kind.SIGNATURE_CONFIRMATION,
        "ada@example.org",
        signature,
        OutgoingMail.Status.QUEUED,
    )
    assert mailoutbox == [], "nothing is sent before the transaction commits"
    assert len(callbacks) == 1


def test_a_rolled_back_signature_owes_no_mail(letter, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        _create(letter)
        raise RuntimeError("request failed after signing")
    assert Signature.objects.count() == 0
    assert OutgoingMail.objects.count() == 0
    assert mailoutbox == []


def test_running_the_task_twice_sends_one_mail(letter, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _create(letter)
    mail = OutgoingMail.objects.get()
    assert mail.status == OutgoingMail.Status.SENT
    send_outgoing_mail.apply(args=[mail.pk])
    send_outgoing_mail.apply(args=[mail.pk])
    assert len(mailoutbox) == 1


def test_a_confirmation_for_an_already_confirmed_signature_is_not_sent(letter, mailoutbox):
    signature, _ = _create(letter)
    Signature.objects.filter(pk=signature.pk).update(status="confirmed", confirmed_at=signature.created_at)
    assert mail_send(mail_id=OutgoingMail.objects.get().pk) == "not needed"
    assert mailoutbox == []


def test_temporary_smtp_failure_keeps_the_mail_owed_then_it_is_delivered(letter, smtp_settings):
    smtp_settings.refuse = 1
    signature, _ = _create(letter)
    mail = OutgoingMail.objects.get()
    with pytest.raises(TemporaryMailError):
        mail_send(mail_id=mail.pk)
    mail.refresh_from_db()
    assert mail.status == OutgoingMail.Status.QUEUED
    assert "451" in mail.last_error
    assert mail_send(mail_id=mail.pk) == "sent"
    assert len(smtp_settings.messages) == 1
    received = smtp_settings.messages[0]
    assert received["To"] == "ada@example.org"
    assert received.get_body(("plain",)) is not None and received.get_body(("html",)) is not None


def test_a_mail_refused_for_now_waits_out_its_backoff_whichever_batch_comes_next(letter, smtp_settings, settings):
    settings.MAIL_RETRY_BASE_SECONDS = 30
    _create(letter, email="busy@example.org")
    smtp_settings.refuse = 1
    assert list(mail_send_batch(queue="mail").values()) == ["temporary"]
    refused = OutgoingMail.objects.get()
    assert refused.status == OutgoingMail.Status.QUEUED and "451" in refused.last_error
    # 30 s doubled from the first attempt, with up to 30 s of jitter (and the batch's own time).
    assert 30 <= (refused.retry_at - refused.claimed_at).total_seconds() <= 61
    # Other signers' batches pass it by while it waits...
    _create(letter, email="next@example.org")
    assert list(mail_send_batch(queue="mail").values()) == ["sent"]
    assert [message["To"] for message in smtp_settings.messages] == ["next@example.org"]
    # ...and take it once its time has come.
    OutgoingMail.objects.filter(pk=refused.pk).update(retry_at=refused.claimed_at)
    assert mail_send_batch(queue="mail") == {refused.pk: "sent"}
    assert [message["To"] for message in smtp_settings.messages] == ["next@example.org", "busy@example.org"]


def test_a_batch_of_confirmations_goes_over_one_smtp_connection(letter, smtp_settings):
    for n in range(5):
        _create(letter, email=f"signer{n}@example.org")
    outcomes = mail_send_batch(queue="mail")
    assert list(outcomes.values()) == ["sent"] * 5
    assert sorted(message["To"] for message in smtp_settings.messages) == [f"signer{n}@example.org" for n in range(5)]
    assert len(set(smtp_settings.peers)) == 1


def test_after_a_refused_message_the_rest_of_the_batch_goes_over_one_fresh_connection(letter, smtp_settings):
    for n in range(4):
        _create(letter, email=f"signer{n}@example.org")
    smtp_settings.refuse = 1
    outcomes = mail_send_batch(queue="mail")
    assert sorted(outcomes.values()) == ["sent", "sent", "sent", "temporary"]
    assert len(smtp_settings.messages) == 3
    assert len(set(smtp_settings.peers)) == 1


def test_unreachable_smtp_is_temporary(letter, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens there
    _create(letter)
    with pytest.raises(TemporaryMailError):
        mail_send(mail_id=OutgoingMail.objects.get().pk)


def test_requeue_finds_mail_whose_task_was_lost(letter, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        _create(letter)  # the on-commit enqueue never ran: as if the broker was down
    OutgoingMail.objects.update(created_at=OutgoingMail.objects.get().created_at - REQUEUE_GRACE * 2)
    assert requeue_owed_mail.apply().get() == 1
    assert OutgoingMail.objects.get().status == OutgoingMail.Status.SENT
    assert len(mailoutbox) == 1
    assert requeue_owed_mail.apply().get() == 0


def test_signing_still_answers_when_the_broker_is_down(sign, caplog):
    app.conf.task_always_eager = False
    with dead_broker():
        assert sign().status_code == 302
        assert "Could not enqueue submission" in caplog.text
        assert Submission.objects.count() == 1
        # The periodic job takes the submission its task never reached; the mail waits for requeue_owed_mail.
        Submission.objects.update(created_at=timezone.now() - timedelta(minutes=5))
        assert process_waiting_submissions() == 1
    assert Signature.objects.count() == 1
    assert not Submission.objects.exists()
    assert OutgoingMail.objects.get().status == OutgoingMail.Status.QUEUED
