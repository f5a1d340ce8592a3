"""Pages a shared cache can keep: the same bytes for every anonymous reader, no cookie, `Cache-Control: public`;
a member's pages private; the sign form without a CSRF token, refusing what another site sends."""

import re

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from coalition.core.storage import DatabaseStorage
from coalition.signatures.models import Signature
from tests.conftest import sign_form_data

PUBLIC = ["/", "/fr/", "/crafts/actor/", "/signatories/", "/signatories/?craft=actor&country=FR", "/press/"]
PUBLIC += ["/corrections/", "/fr/api/v1/signatories/", "/api/v1/organisations/", "/feeds/notable.atom"]


@pytest.mark.parametrize("path", PUBLIC)
def test_anonymous_pages_are_public_and_set_no_cookie(client, letter, settings, path):
    settings.PUBLIC_CACHE_SECONDS = 7
    response = client.get(path)
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=7"
    assert not response.cookies
    assert "Accept-Language" not in response.get("Vary", "")
    assert _per_second(response) == _per_second(Client().get(path)), "the same bytes for the next reader"


def _per_second(response):
    """The page without what changes with the clock, not with the reader: the form's signed start time, the feed's
    `updated` (a cached copy shows the time it was drawn, as it should)."""
    text = re.sub(r'name="started" value="[^"]*"', "", response.content.decode())
    return re.sub(r"<updated>[^<]*</updated>", "", text)


def test_a_bad_filter_is_not_kept_by_caches(client, letter):
    response = client.get("/signatories/?craft=astronaut")
    assert response.status_code == 400 and "public" not in response.get("Cache-Control", "")


def test_a_signed_in_member_gets_private_pages(client, letter, django_user_model):
    client.force_login(django_user_model.objects.create_user("zoe@example.org", "zoe@example.org"))
    for path in ("/", "/signatories/", "/fr/press/"):
        response = client.get(path)
        assert "My account" in response.text or "Mon compte" in response.text
        assert "public" not in response["Cache-Control"]
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
        assert "Cookie" in response["Vary"]


def _post(headers, path="/"):
    browser = Client(enforce_csrf_checks=True)
    return browser.post(path, sign_form_data(email="ada@example.org"), headers=headers)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "https://sub.127.0.0.1.example"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    ],
)
def test_a_sign_post_another_site_sends_is_refused_and_stores_nothing(letter, mailoutbox, headers):
    response = _post(headers)
    assert response.status_code == 403
    assert "You cannot open this page" in response.text
    assert not Signature.objects.exists() and mailoutbox == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "same-origin"},
        {"Origin": "http://127.0.0.1:8000"},  # SITE_URL
        {},  # an old browser, or a program: the honeypot, fill time and rate limits judge it
    ],
)
def test_the_sign_form_works_without_a_csrf_token_from_the_sites_own_pages(
    letter, mailoutbox, django_capture_on_commit_callbacks, headers
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(headers)
    assert response.status_code == 302
    assert Signature.objects.filter(email="ada@example.org").exists() and len(mailoutbox) == 1


def test_the_french_sign_form_is_protected_the_same_way(letter):
    assert _post({"Origin": "https://evil.example"}, path="/fr/crafts/actor/").status_code == 403
    assert _post({"Sec-Fetch-Site": "same-origin"}, path="/fr/crafts/actor/").status_code == 302


def test_other_forms_keep_djangos_csrf_token(letter):
    same_origin = {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}
    response = Client(enforce_csrf_checks=True).post("/organisations/endorse/", {"name": "x"}, headers=same_origin)
    assert response.status_code == 403 and "Your form was not sent" in response.text


def test_the_database_storage_keeps_files_for_every_host_in_chunks(db, monkeypatch):
    from coalition.core import storage as module

    monkeypatch.setattr(module, "CHUNK_SIZE", 4)
    storage = DatabaseStorage()
    name = storage.save("snapshots/a/2026-01-02.csv", ContentFile(b"name\r\nAda\r\n"))
    assert storage.exists(name) and storage.size(name) == 11
    with storage.open(name) as handle:
        assert handle.read() == b"name\r\nAda\r\n"
    assert storage.listdir("snapshots") == (["a"], [])
    assert storage.listdir("snapshots/a") == ([], ["2026-01-02.csv"])
    assert storage.save("snapshots/a/2026-01-02.csv", ContentFile(b"again")) != name, "never overwritten"
    storage.delete(name)
    assert not storage.exists(name)
    with pytest.raises(FileNotFoundError):
        storage.open(name)
