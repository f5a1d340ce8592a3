import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from coalition.celery import app as celery_app
from tests.conftest import _Sink, free_port, service_missing

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def worker_database_url():
    """The URL of the database the tests are using right now (the test database, not the configured one)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_for(predicate, timeout=30, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="module")
def worker_sink():
    from aiosmtpd.controller import Controller

    sink = _Sink()
    sink.port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


@pytest.fixture
def celery_worker_process(transactional_db, worker_sink, tmp_path):
    """A real `celery -A coalition worker` process on the test database, the real broker and the SMTP sink."""
    if not os.environ.get("REDIS_URL"):
        service_missing("REDIS_URL is not set: the worker test needs a real Redis broker")
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "EMAIL_URL": f"smtp://127.0.0.1:{worker_sink.port}",
        "SITE_URL": settings.SITE_URL,
        "MAIL_RETRY_BASE_SECONDS": "1",
    }
    with open(log, "w") as out:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "celery", "-A", "coalition", "worker", "-Q", "mail,default"]
            + ["--concurrency=1", "--purge", "--without-gossip", "--without-mingle", "--loglevel=INFO"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    celery_app.conf.task_always_eager = False
    try:
        wait_for(lambda: "ready." in log.read_text() or process.poll() is not None, 60, "the worker to start")
        assert process.poll() is None, log.read_text()
        worker_sink.messages.clear()
        worker_sink.refuse = 0
        yield worker_sink
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        _close_other_sessions()
        print(log.read_text())


def _close_other_sessions():
    """The worker's pool children may still hold a session, which would stop pytest dropping the test database."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
