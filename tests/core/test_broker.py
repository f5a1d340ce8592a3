"""Mail tasks reach the Redis broker through kombu's transport with one shared client per channel."""

import base64
import json
import os

import pytest
import redis

from coalition.celery import app as celery_app
from coalition.mail.services import mail_enqueue
from tests.conftest import service_missing


@pytest.fixture
def broker(settings):
    if not os.environ.get("REDIS_URL"):
        service_missing("REDIS_URL is not set: the broker is Redis")
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    # A broker that never saw a worker: no queue, no binding.
    client.delete("mail", "_kombu.binding.mail")
    celery_app.conf.task_always_eager = False
    yield client
    client.delete("mail")


def test_each_published_mail_reaches_the_queue_without_a_new_redis_client_each(broker, monkeypatch):
    mail_enqueue(mail_id=0)  # the channel and its client are made on first use
    built = []
    init = redis.Redis.__init__

    def counting(self, *args, **kwargs):
        built.append(self)
        init(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting)
    for mail_id in (1, 2, 3):
        mail_enqueue(mail_id=mail_id)
    assert broker.llen("mail") == 4
    assert built == []
    # What a worker reads: the task and its argument.
    message = json.loads(broker.lindex("mail", 0))
    assert message["headers"]["task"] == "coalition.mail.tasks.send_outgoing_mail"
    assert json.loads(base64.b64decode(message["body"]))[0] == [3]


def test_a_published_mail_is_the_message_celery_itself_would_send(broker):
    from coalition.mail.tasks import send_outgoing_mail

    # What apply_async sends for the same task and argument, next to what every signature publishes.
    send_outgoing_mail.apply_async((7,))
    mail_enqueue(mail_id=7)
    ours, celerys = (json.loads(broker.lindex("mail", index)) for index in (0, 1))
    ids = {"id", "root_id"}
    assert {k: v for k, v in ours["headers"].items() if k not in ids} == {
        k: v for k, v in celerys["headers"].items() if k not in ids
    }
    assert ours["headers"]["root_id"] == ours["headers"]["id"] == ours["properties"]["correlation_id"]
    assert ours["headers"]["id"] != celerys["headers"]["id"]
    assert base64.b64decode(ours["body"]) == base64.b64decode(celerys["body"])
    assert (
        ours["properties"]["delivery_info"]
        == celerys["properties"]["delivery_info"]
        == {
            "exchange": "",
            "routing_key": "mail",
        }
    )
    for name in ("reply_to", "delivery_mode", "priority", "body_encoding"):
        assert ours["properties"][name] == celerys["properties"][name], name


def test_a_task_with_publish_options_of_its_own_is_sent_by_apply_async_with_them(broker, monkeypatch):
    from coalition.mail import services
    from coalition.mail.tasks import send_outgoing_mail

    services._plain_route.cache_clear()
    monkeypatch.setattr(send_outgoing_mail, "expires", 3600)
    monkeypatch.setattr(send_outgoing_mail, "_exec_options", None)  # Celery remembers a task's options
    try:
        mail_enqueue(mail_id=8)
    finally:
        services._plain_route.cache_clear()
    message = json.loads(broker.lindex("mail", 0))
    assert message["headers"]["expires"] is not None


@pytest.mark.django_db
def test_mail_requeued_by_the_periodic_job_is_linked_to_it(broker, letter, django_capture_on_commit_callbacks):
    from coalition.mail import services
    from coalition.mail.models import OutgoingMail
    from coalition.mail.tasks import requeue_owed_mail
    from tests.factories import SignatureFactory

    with django_capture_on_commit_callbacks(execute=False):  # as if the broker was down when it was signed
        services.mail_queue(
            kind=OutgoingMail.Kind.SIGNATURE_CONFIRMATION, to="a@example.org", signature=SignatureFactory(letter=letter)
        )
    OutgoingMail.objects.update(created_at=OutgoingMail.objects.get().created_at - services.REQUEUE_GRACE * 2)
    job = requeue_owed_mail.apply()
    assert job.get() == 1
    message = json.loads(broker.lindex("mail", 0))
    assert message["headers"]["parent_id"] == message["headers"]["root_id"] == job.id
    assert json.loads(base64.b64decode(message["body"]))[0] == [OutgoingMail.objects.get().pk]
