"""A creator's own web site, served on this machine: the registry's proofs and site checks read it through the
guarded fetcher with an injected resolver (names ending in .test are this machine), never the internet."""

import http.server
import socket
import threading
from functools import partial

import pytest

from coalition.registry import proofs
from coalition.registry.services import declaration_save
from coalition.signatures.channel import fetch_page
from tests.accounts.conftest import committed, member  # noqa: F401 (fixtures shared with the accounts tests)


class _Site(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the stdlib's name)
        host = self.headers.get("Host", "").split(":")[0]
        answer = self.server.pages.get((host, self.path)) or self.server.pages.get(self.path)
        self.server.asked.append((host, self.path))
        if answer is None:
            answer = (404, {}, "not found")
        status, headers, body = answer
        data = body.encode()
        self.send_response(status)
        headers = {"Content-Type": "text/html; charset=utf-8", **headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class LocalWeb:
    """Pages by path (or by (host, path)) and DNS TXT records by name, for every host ending in .test."""

    def __init__(self, server):
        self.server = server
        self.port = server.server_address[1]
        self.txt = {}

    def url(self, host="creator.test", path="/"):
        return f"http://{host}:{self.port}{path}"

    def serve(self, path, body, status=200, headers=None, host=None):
        key = (host, path) if host else path
        self.server.pages[key] = (status, headers or {}, body)

    def forget(self, path):
        self.server.pages.pop(path, None)

    @property
    def asked(self):
        return self.server.asked

    def resolve(self, host, port, type=socket.SOCK_STREAM, **kwargs):
        if not host.endswith(".test"):
            raise socket.gaierror(f"{host}: names outside .test are not looked up in tests")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    def resolve_txt(self, name):
        return list(self.txt.get(name, []))


@pytest.fixture
def local_web(monkeypatch):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    server.pages, server.asked = {}, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    web = LocalWeb(server)
    # The guarded fetcher, as production runs it, except that .test names are this machine and may be reached.
    fetch = partial(fetch_page, resolve=web.resolve, is_public=lambda address: address == "127.0.0.1")
    monkeypatch.setattr(proofs, "default_fetch", fetch)
    monkeypatch.setattr(proofs, "default_resolve_txt", web.resolve_txt)
    yield web
    server.shutdown()
    server.server_close()


DEFAULT_STANCES = {
    "training": "reserved",
    "training_scope": "all",
    "search": "allowed",
    "tdm": "reserved",
    "licensing_contact": "",
    "contact_public": False,
}


def declare_for(signature, places, **stances):
    """Publish a declaration over `places` as the member's form would, reserving training and mining by default."""
    return declaration_save(signature=signature, place_ids=[p.pk for p in places], **{**DEFAULT_STANCES, **stances})
