import os

from coalition.celery import app
from tests.conftest import dead_broker, service_missing


def test_healthz_reports_every_service_up(client, db, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    broker = "eager" if settings.CELERY_TASK_ALWAYS_EAGER else "ok"
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "broker": broker}


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


def test_healthz_asks_the_database_one_question(client, db, django_assert_num_queries):
    # SELECT 1: it checks the database answers, and reads no table whose size could grow.
    with django_assert_num_queries(1):
        assert client.get("/healthz").status_code == 200
