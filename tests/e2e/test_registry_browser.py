"""The member's journey through the consent registry in a real browser: prove their site, declare, copy the files,
see whether the site says it. Their site is a server on this machine, reached through the injected resolver."""

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone
from playwright.sync_api import expect

from coalition.registry.models import Declaration, Place
from tests.accounts.conftest import login_code
from tests.e2e.conftest import DESKTOP
from tests.e2e.test_experience import looks_right
from tests.factories import SignatureFactory, coalition_letter
from tests.registry.conftest import local_web  # noqa: F401 (the creator's site, as a fixture)

pytestmark = pytest.mark.services


def later(model, **fields):
    """The member comes back a while later (checks run at most once a minute)."""
    model.objects.update(**{name: timezone.now() - timedelta(hours=1) for name in fields})


def test_a_member_declares_copies_the_files_and_sees_their_site_say_it(
    open_page,
    mailoutbox,
    django_user_model,
    local_web,  # noqa: F811 (the fixture imported above)
):
    letter = coalition_letter()
    user = django_user_model.objects.create_user(username="rae@example.org", email="rae@example.org")
    EmailAddress.objects.create(user=user, email="rae@example.org", verified=True, primary=True)
    SignatureFactory(letter=letter, email="rae@example.org", name="Rae Writer", craft="writer")
    local_web.serve("/", "<html><head><title>Rae</title></head><body>Stories.</body></html>")
    site = local_web.url()

    page = open_page(DESKTOP)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/accounts/login/code/")
    page.get_by_label("Email", exact=True).fill("rae@example.org")
    page.get_by_role("button", name="Email me a code").click()
    page.wait_for_url(re.compile(r"/accounts/login/code/confirm/$"))
    page.get_by_label("Code", exact=True).fill(login_code(mailoutbox[-1]))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/account/$"))

    page.get_by_role("link", name="My AI consent declaration").click()
    page.get_by_label("Address of your channel, site, feed or profile").fill(site)
    page.get_by_label("How to prove it is yours").select_option("page")
    page.get_by_role("button", name="Add this place").click()
    assert page.get_by_text("Not proven").is_visible()
    token = Place.objects.get().token
    assert page.get_by_text(token).is_visible()

    # Rae puts the token on her home page and comes back.
    local_web.serve("/", f"<html><body>Stories. {token}</body></html>")
    later(Place, checked_at=True)
    page.get_by_role("button", name=f"Check {site} now").click()
    assert page.locator(".place-status").inner_text() == "Proven"

    page.get_by_role("group", name="AI training").get_by_label("Reserved (no)").check()
    page.get_by_role("group", name="Other text and data mining").get_by_label("Licensed on request").check()
    page.get_by_label("Licensing contact (a web page or an email address)").fill("https://rae.example/licensing")
    page.get_by_role("checkbox", name=site).check()
    page.get_by_role("button", name="Publish my declaration").click()
    assert page.get_by_text("Your declaration is published.").is_visible()
    assert page.get_by_text("Not yet: your site does not say everything you declared.").is_visible()
    looks_right(page, "registry-member")

    # She copies the robots.txt block and the tdmrep.json file to her site, as the page offers.
    page.locator("button[data-copy=snippet-robots]").click()
    expect(page.locator("#snippet-robots-status")).to_have_text("Copied.")
    robots = page.evaluate("navigator.clipboard.readText()")
    assert "User-agent: GPTBot" in robots and "Content-Usage: / train-ai=n, search=y" in robots
    page.locator("button[data-copy=snippet-tdmrep]").click()
    expect(page.locator("#snippet-tdmrep-status")).to_have_text("Copied.")
    tdmrep = page.evaluate("navigator.clipboard.readText()")
    local_web.serve("/robots.txt", robots, headers={"Content-Type": "text/plain"})
    local_web.serve("/.well-known/tdmrep.json", tdmrep, headers={"Content-Type": "application/json"})
    later(Declaration, site_checked_at=True)
    page.get_by_role("button", name="Check my site again").click()
    assert page.get_by_text("Yes: your site says what you declared.").is_visible()

    page.get_by_role("link", name="See the public declaration").click()
    assert page.get_by_role("heading", name="Rae Writer’s AI consent declaration").is_visible()
    assert page.get_by_text("their site says it").is_visible()
    assert "rae@example.org" not in page.content()
    looks_right(page, "registry-declaration")
    page.goto("/registry/")
    assert page.get_by_text("1 creator reserves AI training over 1 channel.").is_visible()
    looks_right(page, "registry-index")
