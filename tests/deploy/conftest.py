"""A real gunicorn behind a real nginx running deploy/nginx.conf, on the test database."""

import http.client
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from deploy.nginx import private_nginx
from tests.conftest import free_port, service_missing
from tests.e2e.conftest import _close_other_sessions, worker_database_url

ROOT = Path(__file__).resolve().parents[2]
# Short, so that the tests can watch pages expire.
MAX_AGE = 2


def nginx_binary():
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if not found:
        service_missing("nginx is not installed (apt-get install nginx)")
    return found


def wait_for_port(port, process, log, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}:\n{log.read_text() if log.exists() else ''}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing answered on port {port} within {timeout}s:\n{log.read_text()}")


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory):
    """`manage.py collectstatic` into a directory of its own, with the production storage (hashed, compressed)."""
    static_root = tmp_path_factory.mktemp("staticfiles")
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "0", "STATIC_ROOT": str(static_root)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return static_root


class Gunicorn:
    """`gunicorn coalition.wsgi` as production runs it (DEBUG off, collected static files), on the test database."""

    def __init__(self, directory, *, static_root, site_url, workers=2, **env):
        self.directory = directory
        self.port = free_port()
        self.access_log = directory / "access.log"
        self.log = directory / "gunicorn.log"
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": worker_database_url(),
            "DEBUG": "0",
            # The tests' own key: a session the tests open (force_login) is one gunicorn accepts.
            "SECRET_KEY": settings.SECRET_KEY,
            "STATIC_ROOT": str(static_root),
            "SITE_URL": site_url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PUBLIC_CACHE_SECONDS": str(MAX_AGE),
            "RATELIMIT_IP_META_KEY": "HTTP_X_REAL_IP",
            "SIGN_MIN_SECONDS": "0",
            **env,
        }
        self.workers = workers
        self.process = None

    def start(self):
        with open(self.log, "a") as out:
            self.process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "gunicorn", "coalition.wsgi:application"]
                + ["--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers)]
                + ["--access-logfile", str(self.access_log)],
                # Not the project's directory: nothing may depend on where a host keeps its working files.
                cwd=self.directory,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for_port(self.port, self.process, self.log)
        return self

    def requests(self, method, path):
        """How many requests for `method path` reached Django."""
        if not self.access_log.exists():
            return 0
        return self.access_log.read_text().count(f'"{method} {path} HTTP/')

    def stop(self):
        if self.process is not None:
            stop(self.process)


class Nginx:
    """Debian's nginx with deploy/nginx.conf, in a directory of its own, on a free port."""

    def __init__(self, directory, *, upstreams, static_root, port=None):
        self.directory = directory
        self.port = port or free_port()
        self.error_log = directory / "error.log"
        self.conf = private_nginx(
            directory,
            listen=f"127.0.0.1:{self.port}",
            upstreams=[f"127.0.0.1:{port}" for port in upstreams],
            static_root=static_root,
        )
        self.process = None

    def start(self):
        binary = nginx_binary()
        # Before nginx opens its error log, it reports to stderr (a bad configuration, a port in use).
        with open(self.error_log, "a") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [binary, "-p", str(self.directory), "-c", str(self.conf)], stdout=log, stderr=log
            )
        wait_for_port(self.port, self.process, self.error_log)
        return self

    def get(self, path, headers=None, method="GET", body=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.request(method, path, body=body, headers={"Host": f"127.0.0.1:{self.port}", **(headers or {})})
        response = connection.getresponse()
        response.text = response.read().decode("utf-8", "replace")
        connection.close()
        return response

    def stop(self):
        if self.process is not None:
            stop(self.process)


@pytest.fixture
def site(tmp_path, collected_static, transactional_db):
    """nginx in front of one gunicorn (two workers): the production path, end to end."""
    nginx_binary()
    nginx_port = free_port()
    gunicorn = Gunicorn(tmp_path / "web", static_root=collected_static, site_url=f"http://127.0.0.1:{nginx_port}")
    gunicorn.directory.mkdir()
    (tmp_path / "nginx").mkdir()
    nginx = Nginx(tmp_path / "nginx", upstreams=[gunicorn.port], static_root=collected_static, port=nginx_port)
    try:
        gunicorn.start()
        nginx.start()
        yield nginx, gunicorn
    finally:
        nginx.stop()
        gunicorn.stop()
        _close_other_sessions()
