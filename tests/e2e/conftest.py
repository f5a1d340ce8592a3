import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from coalition.celery import app as celery_app
from tests.conftest import running_sink, service_missing

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
    with running_sink() as sink:
        yield sink


class Worker:
    """A real `celery -A coalition worker` process on the test database, the real broker and the SMTP sink."""

    def __init__(self, sink, log, queues="mail,default", **env):
        self.log = log
        self.queues = queues
        self.env = {
            **os.environ,
            "DATABASE_URL": worker_database_url(),
            "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
            "SITE_URL": settings.SITE_URL,
            "MAIL_RETRY_BASE_SECONDS": "1",
            **env,
        }
        self.process = None

    def start(self):
        with open(self.log, "a") as out:
            self.process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "celery", "-A", "coalition", "worker", "-Q", self.queues]
                + ["--concurrency=1", "--without-gossip", "--without-mingle", "--loglevel=INFO"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so a test can kill it with its pool
            )
        started = self.log.read_text().count("ready.")
        wait_for(
            lambda: self.log.read_text().count("ready.") > started or self.process.poll() is not None,
            60,
            "the worker to start",
        )
        assert self.process.poll() is None, self.log.read_text()

    def kill(self):
        """SIGKILL the worker and its pool children at once, as the OOM killer or a lost machine would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


@pytest.fixture
def worker_factory(transactional_db, worker_sink, tmp_path):
    if not os.environ.get("REDIS_URL"):
        service_missing("REDIS_URL is not set: the worker tests need a real Redis broker")
    celery_app.control.purge()
    celery_app.conf.task_always_eager = False
    worker_sink.messages.clear()
    worker_sink.refuse = 0
    worker_sink.slow_rcpt = 0
    worker_sink.stall_rcpt.clear()
    worker_sink.refuse_rcpt.clear()
    workers = []

    def make(queues="mail,default", **env):
        worker = Worker(worker_sink, tmp_path / "worker.log", queues=queues, **env)
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        worker.stop()
    _close_other_sessions()
    if (tmp_path / "worker.log").exists():
        print((tmp_path / "worker.log").read_text())


@pytest.fixture
def celery_worker_process(worker_factory, worker_sink):
    worker_factory().start()
    return worker_sink


def _close_other_sessions():
    """The worker's pool children may still hold a session, which would stop pytest dropping the test database."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


# --- Real browser (Playwright driving Debian's Chromium) -------------------------------------------------------

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="module")
def chromium():
    """One Chromium per test module: starting it is the slow part, a fresh context per test is cheap."""
    import shutil

    if not shutil.which(CHROMIUM):
        service_missing(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make are still synchronous.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture
def open_page(chromium, live_server, settings, transactional_db):
    """open_page(device=PHONE, locale="fr-FR", javascript=False) -> a new page in a fresh browser context."""
    settings.SITE_URL = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    contexts = []

    def make(device=DESKTOP, locale="en-GB", javascript=True):
        context = chromium.new_context(
            base_url=live_server.url, locale=locale, java_script_enabled=javascript, **device
        )
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page):
    return open_page()
