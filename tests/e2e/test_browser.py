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
