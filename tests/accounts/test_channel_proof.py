import http.server
import socket
import threading
from unittest import mock

import pytest

from coalition.signatures import channel
from coalition.signatures.channel import FetchFailed, FetchRefused, fetch_text
from coalition.signatures.models import ChannelProof, Signature
from coalition.signatures.services import channel_proof_check, channel_proofs_due
from coalition.signatures.tasks import recheck_channel_proofs

PUBLIC_IP = "93.184.215.14"  # a public address literal: no DNS needed, so only the HTTP fetch is mocked


@pytest.fixture
def creator(client, member):
    user, signature = member("vlog@example.org", name="Vera Vlogger", craft="youtuber")
    client.force_login(user)
    return signature


def _name_channel(client, signature, url, committed):
    return committed(
        client.post,
        "/account/signature/",
        {"signature": signature.pk, "action": "channel", f"c{signature.pk}-url": url},
    )


def _serving(text, status=200, location=None):
    """Stand in for the third-party site: what http_get_pinned would have read from it."""
    return mock.patch.object(channel, "http_get_pinned", return_value=_page(status, location, text))


def _page(status, location, text):
    headers = {"location": location} if location else {}
    return channel.Page(url=f"https://{PUBLIC_IP}/", status=status, headers=headers, text=text)


def test_a_creator_proves_their_channel_and_gets_the_mark(client, creator, committed):
    token_holder = {}

    def fake_get(*, scheme, address, host, port, target):
        token_holder["asked"] = (scheme, address, host, port, target)
        return _page(200, None, f"<html><p>About: {ChannelProof.objects.get().token}</p></html>")

    with mock.patch.object(channel, "http_get_pinned", side_effect=fake_get):
        response = _name_channel(client, creator, f"https://{PUBLIC_IP}/about?x=1", committed)
    assert response.status_code == 302
    assert token_holder["asked"] == ("https", PUBLIC_IP, PUBLIC_IP, 443, "/about?x=1")
    proof = ChannelProof.objects.get()
    assert proof.status == ChannelProof.Status.VERIFIED
    creator.refresh_from_db()
    assert creator.channel_verified_at is not None
    assert "channel verified" in client.get("/signatories/").text
    [row] = client.get("/api/v1/signatories/").json()["results"]
    assert row["channel_verified"] is True
    page = client.get("/account/signature/")
    assert proof.token in page.text and "Channel verified" in page.text


def test_a_page_without_the_token_gets_no_mark(client, creator, committed):
    with _serving("<html>nothing here</html>"):
        _name_channel(client, creator, f"http://{PUBLIC_IP}/", committed)
    proof = ChannelProof.objects.get()
    assert proof.status == ChannelProof.Status.FAILED and "not found" in proof.last_error
    creator.refresh_from_db()
    assert creator.channel_verified_at is None


def test_the_periodic_recheck_removes_the_mark_when_the_token_goes(client, creator, committed):
    with mock.patch.object(
        channel, "http_get_pinned", side_effect=lambda **kw: _page(200, None, ChannelProof.objects.get().token)
    ):
        _name_channel(client, creator, f"http://{PUBLIC_IP}/", committed)
    ChannelProof.objects.update(checked_at="2000-01-01T00:00:00Z")
    assert channel_proofs_due() == [ChannelProof.objects.get().pk]
    with _serving("token removed"):
        assert recheck_channel_proofs.apply().get() == 1
    creator.refresh_from_db()
    assert creator.channel_verified_at is None
    assert ChannelProof.objects.get().status == ChannelProof.Status.FAILED


def test_an_unreachable_page_keeps_the_mark_until_a_page_says_otherwise(client, creator, committed):
    with mock.patch.object(
        channel, "http_get_pinned", side_effect=lambda **kw: _page(200, None, ChannelProof.objects.get().token)
    ):
        _name_channel(client, creator, f"http://{PUBLIC_IP}/", committed)
    with mock.patch.object(channel, "http_get_pinned", side_effect=FetchFailed("ReadTimeoutError")):
        assert channel_proof_check(proof_id=ChannelProof.objects.get().pk) == "unreachable"
    creator.refresh_from_db()
    assert creator.channel_verified_at is not None
    assert ChannelProof.objects.get().last_error == "ReadTimeoutError"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8000/",
        "http://[::1]/",
        "http://10.0.0.8/",
        "http://192.168.1.1/",
        "http://172.16.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/",
        "http://0x7f000001/",
        "http://[::ffff:127.0.0.1]/",
        "http://100.64.0.1/",
        "ftp://example.org/",
        "file:///etc/passwd",
        "http://user:pw@93.184.215.14/",
    ],
)
def test_private_addresses_and_other_schemes_are_refused_before_any_request(url):
    with mock.patch.object(channel, "http_get_pinned") as fetch, pytest.raises(FetchRefused):
        fetch_text(url)
    fetch.assert_not_called()


def _resolver(*addresses):
    """Stand in for DNS: the name resolves to `addresses`, and nothing is looked up on any network."""

    def resolve(host, port, type=0):  # noqa: A002 -- getaddrinfo's keyword
        assert host == "channel.example"
        return [
            (socket.AF_INET6 if ":" in address else socket.AF_INET, type, 6, "", (address, port))
            for address in addresses
        ]

    return resolve


@pytest.mark.parametrize(
    "address",
    [
        "::7f00:1",  # IPv4-compatible 127.0.0.1
        "::8.8.8.8",  # IPv4-compatible, deprecated: refused whatever it carries
        "::",
        "::ffff:7f00:1",  # IPv4-mapped 127.0.0.1
        "::ffff:169.254.169.254",  # IPv4-mapped cloud metadata
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a00:8",  # NAT64 of 10.0.0.8
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b:1::5db8:d70e",  # local-use NAT64, whatever it carries
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "2001::1",
        "fe80::1%eth0",
        "fc00::1",
        "ff0e::1",
        "2001:db8::1",
        "100::1",
    ],
)
def test_ipv6_forms_that_carry_a_private_address_are_refused_before_any_request(address):
    with mock.patch.object(channel, "http_get_pinned") as fetch, pytest.raises(FetchRefused):
        fetch_text("http://channel.example/", resolve=_resolver(address))
    fetch.assert_not_called()


def test_one_private_answer_among_public_ones_refuses_the_name():
    resolve = _resolver(PUBLIC_IP, "2001:4860:4860::8888", "64:ff9b::7f00:1")
    with mock.patch.object(channel, "http_get_pinned") as fetch, pytest.raises(FetchRefused):
        fetch_text("http://channel.example/", resolve=resolve)
    fetch.assert_not_called()


@pytest.mark.parametrize(
    "address",
    [PUBLIC_IP, "2001:4860:4860::8888", "::ffff:5db8:d70e", "64:ff9b::5db8:d70e", "2002:5db8:d70e::1"],
)
def test_public_addresses_in_any_form_are_fetched_at_the_address_that_was_checked(address):
    with _serving("hello") as fetch:
        assert fetch_text("http://channel.example/", resolve=_resolver(address)) == "hello"
    assert fetch.call_args.kwargs["address"] == address
    assert fetch.call_args.kwargs["host"] == "channel.example"


def test_a_redirect_to_a_private_address_is_refused(db):
    with _serving("", status=302, location="http://127.0.0.1:6379/"), pytest.raises(FetchRefused):
        fetch_text(f"http://{PUBLIC_IP}/")


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits = []

    def do_GET(self):  # noqa: N802 -- the stdlib's name
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"creators-coalition-verify-anything")

    def log_message(self, *args):
        pass


def test_a_real_server_on_loopback_is_never_contacted(client, creator, committed):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        _name_channel(client, creator, f"http://localhost:{server.server_port}/feed.xml", committed)
    finally:
        server.shutdown()
        server.server_close()
    assert _Recorder.hits == []
    proof = ChannelProof.objects.get()
    assert proof.status == ChannelProof.Status.FAILED and "private" in proof.last_error
    assert Signature.objects.get(pk=creator.pk).channel_verified_at is None


def test_the_body_read_is_capped(settings):
    settings.CHANNEL_FETCH_MAX_BYTES = 10
    with _serving("x" * 10):
        assert fetch_text(f"http://{PUBLIC_IP}/") == "x" * 10


def test_a_member_cannot_attach_a_proof_to_someone_elses_signature(client, creator, signature_factory, committed):
    other = signature_factory(email="other@example.org")
    response = _name_channel(client, other, f"http://{PUBLIC_IP}/", committed)
    assert response.status_code == 404
    assert not ChannelProof.objects.exists()


def test_a_bad_channel_link_is_a_clear_error(client, creator, committed):
    response = _name_channel(client, creator, "javascript:alert(1)", committed)
    assert response.status_code == 400 and "valid URL" in response.text
    assert not ChannelProof.objects.exists()


class _Host(http.server.BaseHTTPRequestHandler):
    seen = {}

    def do_GET(self):  # noqa: N802 -- the stdlib's name
        _Host.seen = {"host": self.headers["Host"], "path": self.path}
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"a" * 5000)

    def log_message(self, *args):
        pass


def test_the_pinned_fetch_talks_to_the_checked_address_with_the_real_host_name_and_a_size_cap(settings):
    settings.CHANNEL_FETCH_MAX_BYTES = 1000
    server = http.server.HTTPServer(("127.0.0.1", 0), _Host)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = channel.http_get_pinned(
            scheme="http", address="127.0.0.1", host="creator.example", port=server.server_port, target="/feed?a=1"
        )
    finally:
        server.shutdown()
        server.server_close()
    assert (page.status, page.headers.get("location")) == (200, None)
    assert page.text == "a" * 1000
    assert _Host.seen == {"host": f"creator.example:{server.server_port}", "path": "/feed?a=1"}


def test_a_closed_port_is_a_passing_failure(settings):
    from tests.conftest import free_port

    with pytest.raises(FetchFailed):
        channel.http_get_pinned(scheme="http", address="127.0.0.1", host="x.example", port=free_port(), target="/")


def test_a_failed_check_is_explained_in_the_members_language(client, creator, committed):
    with _serving("gone", status=404):
        _name_channel(client, creator, f"http://{PUBLIC_IP}/", committed)
    proof = ChannelProof.objects.get()
    assert proof.last_error == "the page answered with an error (it may be missing or private)"
    assert "the page answered with an error" in client.get("/account/signature/", HTTP_ACCEPT_LANGUAGE="en").text
    french = client.get("/fr/account/signature/").text
    assert "the page answered" not in french
    assert "la page a répondu par une erreur" in french


def test_the_mark_goes_when_the_link_or_the_proven_page_changes(client, creator, committed):
    with mock.patch.object(
        channel, "http_get_pinned", side_effect=lambda **kw: _page(200, None, ChannelProof.objects.get().token)
    ):
        _name_channel(client, creator, f"https://{PUBLIC_IP}/about", committed)
    creator.refresh_from_db()
    assert creator.channel_verified_at is not None

    # A new link on the list: the mark was for the old one.
    committed(
        client.post,
        "/account/signature/",
        {
            "signature": creator.pk,
            "action": "update",
            f"s{creator.pk}-name": creator.name,
            f"s{creator.pk}-profile_url": "https://www.youtube.com/@SomeoneElse",
            f"s{creator.pk}-public": "on",
        },
    )
    creator.refresh_from_db()
    assert creator.channel_verified_at is None
    assert "channel verified" not in client.get("/signatories/").text

    # Proven again (a minute later: checks are spaced), then a new page named that cannot be reached.
    ChannelProof.objects.update(checked_at=None)
    with mock.patch.object(
        channel, "http_get_pinned", side_effect=lambda **kw: _page(200, None, ChannelProof.objects.get().token)
    ):
        _name_channel(client, creator, f"https://{PUBLIC_IP}/again", committed)
    creator.refresh_from_db()
    assert creator.channel_verified_at is not None
    ChannelProof.objects.update(checked_at=None)
    with mock.patch.object(channel, "http_get_pinned", side_effect=FetchFailed("timed out")):
        _name_channel(client, creator, f"https://{PUBLIC_IP}/elsewhere", committed)
    creator.refresh_from_db()
    assert creator.channel_verified_at is None
