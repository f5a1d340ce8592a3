import re

import pytest

from coalition.signatures.models import Signature
from tests.conftest import confirm_link
from tests.e2e.conftest import ARTIFACTS
from tests.factories import coalition_letter

pytestmark = pytest.mark.services


def test_a_person_signs_in_a_browser_confirms_from_the_mail_and_is_listed(page, mailoutbox, transactional_db):
    coalition_letter()
    page.goto("/")
    assert "Consent first" in page.locator("h1").first.inner_text()

    page.get_by_label("Full name", exact=True).fill("Zoë Saldaña")
    page.get_by_label("Email address", exact=True).fill("zoe@example.org")
    page.get_by_label("Your craft").select_option("actor")
    page.get_by_label("Affiliation (optional)").fill("Actor, SAG-AFTRA")
    page.get_by_label("Country (optional)").select_option("US")
    page.get_by_role("button", name="Sign the letter").click()
    # Forgot the consent box: the form comes back with what was typed and a clear error.
    assert page.get_by_text("Please tick this box to sign.").is_visible()
    assert page.get_by_label("Full name", exact=True).input_value() == "Zoë Saldaña"
    assert Signature.objects.count() == 0

    page.get_by_label("I agree", exact=False).check()
    page.get_by_role("button", name="Sign the letter").click()
    page.wait_for_url(re.compile(r"/signed/"))
    assert page.get_by_role("heading", name="Check your inbox").is_visible()
    page.screenshot(path=str(ARTIFACTS / "signed.png"), full_page=True)

    assert len(mailoutbox) == 1
    page.goto(confirm_link(mailoutbox[0]))
    assert Signature.objects.get().status == Signature.Status.PENDING
    page.get_by_role("button", name="Confirm my signature").click()
    assert page.get_by_role("heading", name="Thank you — your signature is confirmed").is_visible()

    page.get_by_role("link", name="See who has signed").click()
    assert page.locator("ol.signatories").get_by_text("Zoë Saldaña").is_visible()
    page.screenshot(path=str(ARTIFACTS / "signatories.png"), full_page=True)
    assert Signature.objects.get().status == Signature.Status.CONFIRMED


def test_another_site_shows_the_count_with_the_counter_script(page, live_server, signature_factory):
    """A page on another origin pastes the press page's script snippet; the browser fetches the count across
    origins and writes it, in the host page's language, into the host page's own elements."""
    import http.server
    import threading

    coalition_letter()
    for n in range(3):
        signature_factory(name=f"Podcaster {n}", craft="podcaster")
    signature_factory(name="Actor", craft="actor")
    host_page = (
        '<!doctype html><html lang="en_US"><body><p><span id="all" data-coalition-count>…</span> signed; '
        '<span id="podcasters" data-coalition-count="Podcaster">…</span> podcasters.</p>'
        f'<script src="{live_server.url}/embed/counter.js" async></script></body></html>'
    ).encode()

    class HostSite(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 -- the name http.server calls
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(host_page)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HostSite)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
        page.wait_for_function("document.getElementById('all').textContent !== '…'", timeout=10_000)
        assert page.text_content("#all") == "4"
        assert page.text_content("#podcasters") == "3"
    finally:
        server.shutdown()
