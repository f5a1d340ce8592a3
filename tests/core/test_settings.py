import subprocess
import sys
from pathlib import Path

import pytest

from coalition.celery import app

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_pass_the_deploy_check():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", DEBUG="0", HTTPS="1", SECRET_KEY="x7" * 30 + "-production"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_https_without_a_real_secret_key_refuses_to_start():
    result = _manage("check", DEBUG="0", HTTPS="1")
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


DEV_KEY = "dev-only-insecure-secret-key-change-me-in-production-0123456789"


@pytest.mark.parametrize(
    "env",
    [{}, {"DEBUG": "0"}, {"DEBUG": "0", "SECRET_KEY": ""}, {"DEBUG": "0", "SECRET_KEY": DEV_KEY}],
    ids=["nothing-set", "debug-off", "empty-key", "the-repositorys-key-given"],
)
def test_with_debug_off_the_site_refuses_to_start_without_a_key_of_its_own(env):
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured: Set SECRET_KEY" in result.stderr
    assert "DEBUG=1" in result.stderr
    # What gunicorn loads refuses too, before serving anything.
    served = subprocess.run(
        [sys.executable, "-c", "import coalition.wsgi"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert served.returncode != 0
    assert "Set SECRET_KEY" in served.stderr


def test_the_development_key_serves_debug_and_a_key_of_its_own_serves_production():
    assert _manage("check", DEBUG="1").returncode == 0
    assert _manage("check", DEBUG="0", SECRET_KEY="x7" * 30 + "-production").returncode == 0


def test_malformed_database_url_fails_loudly():
    result = _manage("check", DEBUG="1", DATABASE_URL="nonsense://")
    assert result.returncode != 0
    assert "nonsense" in result.stderr


def test_confirmation_mail_goes_to_the_mail_queue():
    route = app.amqp.router.route({}, "coalition.mail.tasks.send_outgoing_mail")
    assert route["queue"].name == "mail"


@pytest.mark.parametrize("value", ["0", "-2", "many"])
def test_a_worker_pool_of_no_processes_refuses_to_start(value):
    result = _manage("check", DEBUG="1", CELERY_WORKER_CONCURRENCY=value)
    assert result.returncode != 0
    assert "CELERY_WORKER_CONCURRENCY" in result.stderr or "many" in result.stderr
