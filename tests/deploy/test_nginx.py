"""The site as production serves it: deploy/nginx.conf in front of gunicorn, the shared cache doing its work."""

import http.client
import math
import re
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from django.test import Client

from coalition.core.models import StoredFile
from coalition.signatures.models import Signature, Submission
from coalition.signatures.services import list_snapshot_take, signature_confirm, signature_confirmation_link
from tests.conftest import sign_form_data
from tests.e2e.conftest import wait_for

from .conftest import MAX_AGE, Gunicorn

pytestmark = pytest.mark.services


def test_a_thousand_anonymous_reads_reach_django_at_most_once_per_max_age(site, letter):
    nginx, gunicorn = site

    def read(_):
        response = nginx.get("/")
        assert response.status == 200
        return response.getheader("X-Cache-Status"), response.getheader("Cache-Control")

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(read, range(1000)))
    elapsed = time.monotonic() - started
    time.sleep(0.5)  # gunicorn writes its access log after it answers

    assert {control for _, control in answers} == {f"public, max-age={MAX_AGE}"}
    reached = gunicorn.requests("GET", "/")
    assert 1 <= reached <= math.ceil(elapsed / MAX_AGE) + 1, (reached, elapsed)
    assert sum(status == "HIT" for status, _ in answers) >= 1000 - reached - 16


def test_a_confirmed_signature_shows_within_the_max_age(site, letter, signature_factory):
    nginx, gunicorn = site
    assert "Grace Hopper" not in nginx.get("/signatories/").text
    assert nginx.get("/signatories/").getheader("X-Cache-Status") == "HIT"

    pending = signature_factory(pending=True, name="Grace Hopper", public=True)
    token = signature_confirmation_link(signature=pending).rstrip("/").rsplit("/", 1)[-1]
    signature_confirm(token=token)
    confirmed = time.monotonic()
    while "Grace Hopper" not in nginx.get("/signatories/").text:
        assert time.monotonic() - confirmed < MAX_AGE + 1.5, "still the old list after the max-age"
        time.sleep(0.1)


def test_a_signed_in_page_is_never_cached(site, letter, django_user_model):
    nginx, gunicorn = site
    member = django_user_model.objects.create_user("zoe@example.org", "zoe@example.org")
    browser = Client()
    browser.force_login(member)
    cookie = f"sessionid={browser.cookies['sessionid'].value}"

    anonymous = nginx.get("/")
    assert "My account" not in anonymous.text
    before = gunicorn.requests("GET", "/")
    for _ in range(3):
        mine = nginx.get("/", headers={"Cookie": cookie})
        assert "My account" in mine.text
        assert "private" in mine.getheader("Cache-Control") and "no-store" in mine.getheader("Cache-Control")
        assert mine.getheader("X-Cache-Status") == "BYPASS"
    wait_for(lambda: gunicorn.requests("GET", "/") >= before + 3, 5, "gunicorn to log the member's requests")
    assert gunicorn.requests("GET", "/") == before + 3
    # Nor did the member's page go into the cache for others.
    assert "My account" not in nginx.get("/").text


def test_a_french_reader_gets_french_and_an_english_reader_english_from_the_cache(site, letter):
    nginx, _ = site
    for _ in range(3):
        french = nginx.get("/fr/", headers={"Accept-Language": "en"})
        english = nginx.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
        assert '<html lang="fr">' in french.text and "Signer la lettre" in french.text
        assert '<html lang="en">' in english.text and "Sign the letter" in english.text
    assert french.getheader("X-Cache-Status") == english.getheader("X-Cache-Status") == "HIT"
    assert '<link rel="alternate" hreflang="fr" href="http://127.0.0.1:' in english.text


def test_pages_are_the_same_bytes_for_every_anonymous_reader_and_set_no_cookie(site, letter):
    nginx, _ = site
    first = nginx.get("/signatories/?craft=actor")
    assert first.getheader("Set-Cookie") is None
    assert first.getheader("Vary") == "Cookie"
    assert "csrfmiddlewaretoken" not in nginx.get("/").text
    assert nginx.get("/signatories/?craft=actor", headers={"User-Agent": "another"}).text == first.text


def test_a_cross_site_post_through_nginx_is_refused_and_a_plain_form_post_signs(site, letter):
    nginx, _ = site
    form = urlencode(sign_form_data(email="ada@example.org"))
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    forged = nginx.get("/", method="POST", body=form, headers={**headers, "Origin": "https://evil.example"})
    assert forged.status == 403
    assert not Signature.objects.exists() and not Submission.objects.exists()
    own = nginx.get("/", method="POST", body=form, headers={**headers, "Origin": f"http://127.0.0.1:{nginx.port}"})
    assert own.status == 302
    # Stored: waiting for a worker (none runs beside a broker here), or already the signature (no broker: the task
    # runs in the web process after the commit).
    stored = Submission.objects.filter(email="ada@example.org").exists()
    assert stored or Signature.objects.filter(email="ada@example.org").exists()


def test_static_files_are_served_by_nginx_hashed_compressed_and_immutable(site, letter):
    nginx, gunicorn = site
    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', nginx.get("/").text).group(1)
    response = nginx.get(stylesheet, headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.getheader("Cache-Control") == "public, max-age=31536000, immutable"
    assert response.getheader("Content-Encoding") == "gzip"
    assert gunicorn.requests("GET", stylesheet) == 0


def test_two_web_processes_in_different_directories_serve_the_same_snapshot(
    site, letter, signature_factory, tmp_path, collected_static
):
    nginx, first = site
    signature_factory(name="Ada Lovelace", public=True)
    snapshot, _ = list_snapshot_take(letter=letter)
    assert StoredFile.objects.filter(name=snapshot.file.name).exists()
    second = Gunicorn(tmp_path / "other-host", static_root=collected_static, site_url=first.env["SITE_URL"])
    second.directory.mkdir()
    second.start()
    try:
        answers = []
        for port in (first.port, second.port):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", f"/press/snapshots/{snapshot.day}.csv", headers={"Host": "127.0.0.1"})
            response = connection.getresponse()
            answers.append((response.status, response.read()))
        assert answers[0] == answers[1]
        assert answers[0][0] == 200 and b"Ada Lovelace" in answers[0][1]
    finally:
        second.stop()
