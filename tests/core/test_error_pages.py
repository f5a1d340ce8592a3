"""Every error a person can reach is a page in the site's layout and language; every API error is JSON."""

import html

import pytest
from django.http import HttpResponseNotAllowed
from django.test import Client

from coalition.core.middleware import MethodNotAllowedMiddleware

NOT_ACCEPTED = "This address does not accept that kind of request"


def _in_the_site_layout(response):
    page = response.text
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "Skip to content" in page and 'href="/signatories/"' in page, "the site's header and menu"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    return page


@pytest.mark.parametrize(
    ("method", "url", "allow"),
    [
        ("options", "/", "GET, HEAD, POST"),
        ("post", "/signed/", "GET, HEAD"),
        ("post", "/signatories/", "GET, HEAD"),
        ("put", "/signatories.csv", "GET, HEAD"),
        ("post", "/press/snapshots/2026-11-25.csv", "GET, HEAD"),
        ("post", "/share/letter.png", "GET, HEAD"),
        ("delete", "/share/actor.png", "GET, HEAD"),
    ],
)
def test_a_request_an_address_does_not_accept_gets_a_page_saying_so(client, letter, method, url, allow):
    response = getattr(client, method)(url)
    assert response.status_code == 405
    assert response["Allow"] == allow
    page = _in_the_site_layout(response)
    assert NOT_ACCEPTED in page
    assert int(response["Content-Length"]) == len(response.content)


@pytest.mark.parametrize("url", ["/api/v1/signatories/", "/api/v1/stats/", "/api/v1/organisations/"])
def test_the_api_answers_a_request_it_does_not_accept_in_json(client, letter, url):
    response = client.post(url)
    assert response.status_code == 405
    assert "GET" in response["Allow"]
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "This address does not accept that kind of request."}


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_an_unsafe_request_to_the_api_schema_is_a_json_405_not_a_csrf_page(letter, method):
    response = getattr(Client(enforce_csrf_checks=True), method)("/api/v1/schema/")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response.json() == {"error": "This address does not accept that kind of request."}


def test_a_refused_head_request_still_gets_no_body(rf):
    # No address of the site refuses HEAD today, and the test client drops HEAD bodies itself: ask the middleware.
    refused = MethodNotAllowedMiddleware(lambda request: HttpResponseNotAllowed(["POST"]))
    response = refused(rf.head("/somewhere/"))
    assert response.status_code == 405 and response["Allow"] == "POST" and response.content == b""


def test_a_form_sent_without_its_csrf_cookie_gets_a_page_saying_what_to_do(letter):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/organisations/endorse/", {"name": "Syndicat"})
    assert response.status_code == 403
    page = _in_the_site_layout(response)
    assert "Your form was not sent" in page
    assert "reload the page, and send the form again" in page
    assert "CSRF verification failed" not in page and "<style" not in page


def test_a_forbidden_page_is_a_page_in_the_site_layout(client, django_user_model):
    # A member who signs in by mailed code has no password to confirm: allauth refuses its reauthentication page.
    member = django_user_model.objects.create_user("zoe@example.org", "zoe@example.org")
    client.force_login(member)
    response = client.get("/accounts/reauthenticate/")
    assert response.status_code == 403
    page = _in_the_site_layout(response)
    assert "You cannot open this page" in page and "403 Forbidden" not in page


@pytest.mark.parametrize("url", ["/api/", "/api/v1/", "/api/v1/nope", "/api/v1/signatories/extra/", "/api/v2/stats/"])
def test_an_unknown_api_address_is_a_json_404_that_points_to_the_schema(client, letter, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": "There is nothing at this address. The API's addresses are described at /api/v1/schema/."
    }
    assert client.get("/api/v1/schema/").json()["openapi"].startswith("3.")


def test_the_api_answers_json_when_no_letter_is_configured(client, letter, settings):
    settings.COALITION_LETTER_SLUG = "no-such-letter"
    for url in ("/api/v1/signatories/", "/api/v1/stats/", "/api/v1/organisations/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "nothing at this address" in response.json()["error"], url


def test_an_unknown_page_is_still_the_site_404_page(client, letter):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in _in_the_site_layout(response)


FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}


def test_a_nul_byte_in_the_query_is_answered_in_the_language_of_the_address(client, letter):
    page = client.get("/fr/signatories/?q=%00")
    assert page.status_code == 400
    assert '<html lang="fr">' in page.text and "Nous n'avons pas pu lire cette demande" in html.unescape(page.text)
    assert page["Content-Language"] == "fr"
    page = client.get("/signatories/?q=%00", **FRENCH)
    assert '<html lang="en">' in page.text and "We could not read that request" in page.text


def test_a_nul_byte_in_the_csv_query_is_a_plain_text_400_like_its_other_filter_errors(client, letter):
    for query in ("q=%00", "craft=actor%00"):
        response = client.get(f"/signatories.csv?{query}")
        assert response.status_code == 400
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert response.text == "The query string contains a NUL byte."
    assert client.get("/signatories.csv?craft=astronaut")["Content-Type"] == "text/plain; charset=utf-8"


def test_error_pages_are_in_french_for_a_french_reader(client, letter, django_user_model):
    def french(response):
        assert '<html lang="fr">' in response.text
        return html.unescape(response.text)

    assert "Cette adresse n'accepte pas ce type de requête" in french(client.options("/fr/"))
    refused = Client(enforce_csrf_checks=True).post("/fr/organisations/endorse/", {"name": "Syndicat"})
    assert refused.status_code == 403
    assert "Votre formulaire n'a pas été envoyé" in french(refused) and "rechargez la page" in french(refused)
    member = django_user_model.objects.create_user("zoe@example.org", "zoe@example.org")
    client.force_login(member)
    assert "Vous ne pouvez pas ouvrir cette page" in french(client.get("/fr/accounts/reauthenticate/"))


def test_api_errors_are_in_french_for_a_french_reader(client, letter):
    refused = client.post("/fr/api/v1/stats/")
    assert refused.json() == {"error": "Cette adresse n'accepte pas ce type de requête."}
    missing = client.get("/fr/api/v1/nope")
    assert missing.json()["error"].startswith("Il n'y a rien à cette adresse.")
    assert "à cette adresse".encode() in missing.content, "accents as written, like the API's other answers"
    nul = client.get("/fr/api/v1/signatories/?q=%00")
    assert nul.status_code == 400 and nul.json() == {"error": "La chaîne de requête contient un octet NUL."}
    csv = client.get("/fr/signatories.csv?q=%00")
    assert csv.status_code == 400 and csv.text == "La chaîne de requête contient un octet NUL."
