import os

from coalition.celery import app
from tests.conftest import dead_broker, service_missing


def test_healthz_reports_every_service_up(client, db, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    broker = "eager" if settings.CELERY_TASK_ALWAYS_EAGER else "ok"
    report = response.json()
    assert {key: report[key] for key in ("status", "database", "cache", "broker")} == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "broker": broker,
    }
    assert report["mail"] == {
        "status": "ok",
        "mail": {"owed": 0, "retrying": 0, "oldest_seconds": 0},
        "bulk": {"owed": 0, "retrying": 0, "oldest_seconds": 0},
    }


def test_healthz_reports_a_real_redis_broker_and_cache_up(client, db):
    if not os.environ.get("REDIS_URL"):
        service_missing("REDIS_URL is not set")
    from django.core.cache import caches

    assert type(caches["default"]).__module__.startswith("django_redis")
    assert app.conf.broker_url.startswith("redis://")
    assert client.get("/healthz").json()["broker"] == "ok"


def test_healthz_is_503_when_the_broker_is_down(client, db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with dead_broker():
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "down"
    assert response.json()["database"] == "ok"


def test_healthz_asks_the_database_three_questions(client, db, django_assert_num_queries):
    # SELECT 1: the database answers; the owed mails per kind, read from the outbox's (status, created_at)
    # index, which holds only what is still owed; and the sign form submissions waiting for the worker.
    with django_assert_num_queries(3):
        assert client.get("/healthz").status_code == 200


def test_healthz_shows_owed_mail_per_queue_and_is_503_when_confirmations_wait_too_long(client, sign, settings):
    from datetime import timedelta

    from django.utils import timezone

    from coalition.mail.models import OutgoingMail
    from coalition.signatures.models import Submission
    from coalition.signatures.tasks import process_waiting_submissions

    app.conf.task_always_eager = False  # nothing sends: the mail stays owed
    with dead_broker():
        sign()
        # The periodic job takes the submission its task never reached, makes the signature and owes its mail.
        Submission.objects.update(created_at=timezone.now() - timedelta(minutes=5))
        process_waiting_submissions()
    OutgoingMail.objects.create(kind=OutgoingMail.Kind.COALITION_UPDATE, to="member@example.org")
    report = client.get("/healthz").json()["mail"]
    assert report["mail"]["owed"] == 1 and report["bulk"]["owed"] == 1
    assert report["status"] == "ok"
    OutgoingMail.objects.filter(kind="signature_confirmation").update(
        created_at=timezone.now() - timedelta(seconds=settings.MAIL_LAG_ALERT_SECONDS + 60)
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["mail"]["status"] == "late"
    assert response.json()["mail"]["mail"]["oldest_seconds"] > settings.MAIL_LAG_ALERT_SECONDS
    # The same confirmation waiting out a backoff because its server refused it for now: owed, but not on us.
    OutgoingMail.objects.filter(kind="signature_confirmation").update(retry_at=timezone.now() + timedelta(minutes=5))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["mail"]["mail"] == {"owed": 1, "retrying": 1, "oldest_seconds": 0}
    # A late coalition update alone is no alarm: it is paced on purpose.
    OutgoingMail.objects.filter(kind="signature_confirmation").update(status=OutgoingMail.Status.SENT)
    OutgoingMail.objects.filter(kind="coalition_update").update(created_at=timezone.now() - timedelta(days=1))
    assert client.get("/healthz").status_code == 200


def test_healthz_is_503_when_sign_form_submissions_wait_for_the_worker_too_long(client, sign, settings):
    from datetime import timedelta

    from django.utils import timezone

    from coalition.signatures.models import Submission

    app.conf.task_always_eager = False
    with dead_broker():
        sign()
    report = client.get("/healthz").json()["submissions"]
    assert (report["status"], report["waiting"]) == ("ok", 1)
    Submission.objects.update(created_at=timezone.now() - timedelta(seconds=settings.MAIL_LAG_ALERT_SECONDS + 60))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["submissions"]["status"] == "late"
