"""Every error a person can reach is a page in the site's layout and language; every API error is JSON."""

import pytest
from django.http import HttpResponseNotAllowed

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


def test_a_refused_head_request_still_gets_no_body(rf):
    # No address of the site refuses HEAD today, and the test client drops HEAD bodies itself: ask the middleware.
    refused = MethodNotAllowedMiddleware(lambda request: HttpResponseNotAllowed(["POST"]))
    response = refused(rf.head("/somewhere/"))
    assert response.status_code == 405 and response["Allow"] == "POST" and response.content == b""
