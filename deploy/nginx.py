"""deploy/nginx.conf filled in for a run of its own: the tests (tests/deploy) and `make bench` use this, production
uses envsubst (README). One source of truth: the conf itself."""

import os
import re
from pathlib import Path

SITE_CONF = Path(__file__).resolve().parent / "nginx.conf"
TEMP_KINDS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def site_conf(**values):
    """deploy/nginx.conf with each ${COALITION_...} name replaced; every name must be given, and only those."""
    text = SITE_CONF.read_text()
    names = set(re.findall(r"\$\{(COALITION_[A-Z_]+)\}", text))
    if names != set(values):
        raise ValueError(f"deploy/nginx.conf needs exactly {sorted(names)}, got {sorted(values)}")
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    return text


def private_nginx(directory, *, listen, upstreams, static_root):
    """Write an nginx.conf that runs deploy/nginx.conf in `directory` (pid, logs, temporary files and cache inside
    it) and return its path: what Debian's /etc/nginx/nginx.conf provides around the sites it includes."""
    directory = Path(directory)
    site = directory / "site.conf"
    site.write_text(
        site_conf(
            COALITION_LISTEN=listen,
            COALITION_SERVER_NAME="127.0.0.1 localhost",
            COALITION_UPSTREAMS=" ".join(f"server {upstream};" for upstream in upstreams),
            COALITION_STATIC_ROOT=str(static_root),
            COALITION_CACHE_DIR=str(directory / "cache"),
        )
    )
    # Run as root (CI), the workers stay root so that they can read private temporary directories.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temp = "".join(f"  {kind}_temp_path {directory / kind};\n" for kind in TEMP_KINDS)
    conf = directory / "nginx.conf"
    conf.write_text(
        f"{user}worker_processes 1;\ndaemon off;\npid {directory / 'nginx.pid'};\n"
        f"error_log {directory / 'error.log'} warn;\nevents {{ worker_connections 1024; }}\n"
        # Debian's http block, as production has it (sendfile, tcp_nopush, the default type, gzip for HTML), minus the
        # access log: the tests and the bench read gunicorn's.
        f"http {{\n  sendfile on;\n  tcp_nopush on;\n  include /etc/nginx/mime.types;\n"
        f"  default_type application/octet-stream;\n  gzip on;\n  access_log off;\n{temp}  include {site};\n}}\n"
    )
    return conf
