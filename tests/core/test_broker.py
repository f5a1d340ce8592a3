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
    assert set(ours["headers"]) == set(celerys["headers"])
    for header in ("lang", "task", "argsrepr", "kwargsrepr", "eta", "expires", "retries", "timelimit"):
        assert ours["headers"][header] == celerys["headers"][header], header
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
    assert ours["properties"]["delivery_mode"] == celerys["properties"]["delivery_mode"]
