import subprocess
import sys
from pathlib import Path

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


def test_malformed_database_url_fails_loudly():
    result = _manage("check", DATABASE_URL="nonsense://")
    assert result.returncode != 0


def test_confirmation_mail_goes_to_the_mail_queue():
    route = app.amqp.router.route({}, "coalition.mail.tasks.send_outgoing_mail")
    assert route["queue"].name == "mail"
