"""The signing experience in a real browser: phone and desktop, keyboard only, French, without JavaScript,
and axe-core's accessibility rules on every public page."""

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from coalition.signatures.models import ListSnapshot, Signature
from coalition.signatures.services import list_snapshot_take
from tests.conftest import confirm_link, confirm_path
from tests.e2e.conftest import ARTIFACTS, DESKTOP, PHONE
from tests.factories import SignatureFactory, coalition_letter

pytestmark = pytest.mark.services
# The form posts to "/#sign" so that a page with errors opens at the form; browsers keep that fragment on redirect.
SIGNED = re.compile(r"/signed/(#sign)?$")

# WCAG 2.0-2.2 A and AA, plus axe's best practices (landmarks, headings).
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}


def shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def assert_accessible(page, name):
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], f"{name}: {serious}"


def fits_the_screen(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def fill_the_form(page, *, name, email, craft="actor", labels=None):
    labels = labels or {"name": "Full name", "email": "Email address", "craft": "Your craft", "consent": "I agree"}
    page.get_by_label(labels["name"], exact=True).fill(name)
    page.get_by_label(labels["email"], exact=True).fill(email)
    page.get_by_label(labels["craft"]).select_option(craft)
    page.get_by_label(labels["consent"], exact=False).check()


@pytest.mark.parametrize("device_name", ["phone", "desktop"])
def test_the_whole_path_sign_mail_confirm_listed_on_a_phone_and_a_desktop(open_page, mailoutbox, device_name):
    coalition_letter()
    SignatureFactory(name="Famous Director", craft="director", notable=True)
    page = open_page(PHONE if device_name == "phone" else DESKTOP)
    page.goto("/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Consent first")
    assert page.get_by_role("heading", name="Notable signatories").is_visible()
    assert fits_the_screen(page), "no sideways scrolling"
    shot(page, f"{device_name}-letter")

    page.get_by_role("link", name="Sign the letter").click()
    page.get_by_label("Full name", exact=True).fill("Zoë Saldaña")
    page.get_by_label("Email address", exact=True).fill("zoe@example.org")
    page.get_by_label("Your craft").select_option("actor")
    page.get_by_role("button", name="Sign the letter").click()
    # Forgot the consent box: told at once, next to the box, and nothing is stored.
    consent = page.get_by_label("I agree", exact=False)
    assert page.locator("#id_consent_error").inner_text().endswith("Please tick this box to sign.")
    assert consent.get_attribute("aria-invalid") == "true"
    assert not Signature.objects.filter(email="zoe@example.org").exists()
    shot(page, f"{device_name}-form-error")

    consent.check()
    page.get_by_role("button", name="Sign the letter").click()
    page.wait_for_url(SIGNED)
    assert page.get_by_role("heading", name="Check your inbox").is_visible()
    # The address the mail went to, from this tab's memory: the page itself is the same for every reader.
    expect(page.locator("[data-sent-to]")).to_have_text(
        re.compile(r"We sent it to zoe@example\.org\. Not your address")
    )
    assert page.get_by_role("link", name=re.compile("^Bluesky")).is_visible()
    assert fits_the_screen(page)
    shot(page, f"{device_name}-signed")

    assert len(mailoutbox) == 1
    page.goto(confirm_link(mailoutbox[0]))
    assert Signature.objects.get(email="zoe@example.org").status == Signature.Status.PENDING
    shot(page, f"{device_name}-confirm")
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("heading", name="Thank you — your signature is confirmed")).to_be_visible()
    shot(page, f"{device_name}-confirmed")

    page.get_by_role("link", name="See who has signed").click()
    assert page.locator("ol.signatories").get_by_text("Zoë Saldaña").is_visible()
    assert fits_the_screen(page)
    shot(page, f"{device_name}-signatories")


def test_a_person_signs_with_the_keyboard_alone(page, mailoutbox):
    coalition_letter()
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    assert page.get_by_role("link", name="Skip to content").is_visible(), "the skip link shows when focused"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    def focused():
        return page.evaluate("document.activeElement.name || document.activeElement.textContent.trim()")

    # From the top of the content, Tab reaches the form's first field, past the letter's own links.
    for _ in range(40):
        page.keyboard.press("Tab")
        if focused() == "name":
            break
    assert focused() == "name"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "focus is visible"
    page.keyboard.type("Kay Board")
    page.keyboard.press("Tab")
    assert focused() == "email"
    page.keyboard.type("kay@example.org")
    page.keyboard.press("Tab")
    assert focused() == "craft"
    page.keyboard.type("Writer")
    assert page.get_by_label("Your craft").input_value() == "writer"
    order = []
    for _ in range(5):
        page.keyboard.press("Tab")
        order.append(focused())
    assert order == ["affiliation", "country", "profile_url", "public", "consent"]
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert focused() == "Sign the letter"
    page.keyboard.press("Enter")
    page.wait_for_url(SIGNED)
    signature = Signature.objects.get()
    assert (signature.name, signature.craft) == ("Kay Board", "writer")

    # The confirmation button is reached and pressed with the keyboard too.
    page.goto(confirm_link(mailoutbox[0]))
    for _ in range(20):
        page.keyboard.press("Tab")
        if focused() == "Confirm my signature":
            break
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Thank you — your signature is confirmed").wait_for()
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED


def test_a_french_reader_signs_in_french_and_gets_a_french_mail(open_page, mailoutbox):
    coalition_letter()
    page = open_page(PHONE, locale="fr-FR")
    page.goto("/fr/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", level=1).inner_text().startswith("Le consentement d'abord")
    shot(page, "fr-phone-letter")
    page.get_by_role("button", name="Signer la lettre").click()
    assert page.get_by_text("Ce champ est obligatoire.").first.is_visible()
    fill_the_form(
        page,
        name="Agnès Varda",
        email="agnes@example.fr",
        craft="director",
        labels={"name": "Nom complet", "email": "Adresse e-mail", "craft": "Votre métier", "consent": "J'accepte"},
    )
    page.get_by_role("button", name="Signer la lettre").click()
    page.wait_for_url(SIGNED)
    assert page.get_by_role("heading", name="Consultez votre boîte de réception").is_visible()
    shot(page, "fr-phone-signed")

    mail = mailoutbox[0]
    assert mail.subject.startswith("Confirmez votre signature")
    assert "Bonjour Agnès Varda," in mail.body
    signature = Signature.objects.get()
    assert (signature.language, signature.letter_version.language) == ("fr", "fr")

    page.goto(confirm_path(mail))
    page.get_by_role("button", name="Confirmer ma signature").click()
    expect(page.get_by_role("heading", name="Merci — votre signature est confirmée")).to_be_visible()


def test_the_language_switch_turns_the_page_to_french_and_back(page):
    coalition_letter()
    page.goto("/crafts/musician/")
    page.get_by_role("link", name="Français").click()
    page.wait_for_url(re.compile(r"/fr/crafts/musician/$"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("Le consentement d'abord")
    assert page.get_by_label("Votre métier").input_value() == "musician"
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"/crafts/musician/$"))
    assert page.get_by_role("button", name="Sign the letter").is_visible()


def test_a_person_signs_without_javascript(open_page, mailoutbox):
    coalition_letter()
    page = open_page(PHONE, javascript=False)
    page.goto("/")
    fill_the_form(page, name="No Script", email="not-an-address")
    page.get_by_role("button", name="Sign the letter").click()
    # The server answers with the form, what was typed, and the error tied to its field.
    assert page.get_by_text("Please correct the field marked below.").is_visible()
    email = page.get_by_label("Email address", exact=True)
    assert email.input_value() == "not-an-address"
    assert email.get_attribute("aria-invalid") == "true"
    assert "id_email_error" in email.get_attribute("aria-describedby")
    shot(page, "nojs-form-error")
    email.fill("noscript@example.org")
    page.get_by_label("I agree", exact=False).check()
    page.get_by_role("button", name="Sign the letter").click()
    page.wait_for_url(SIGNED)
    assert not page.locator("[data-sent-to]").is_visible(), "nothing half-filled without JavaScript"
    page.goto(confirm_path(mailoutbox[0]))
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("heading", name="Thank you — your signature is confirmed")).to_be_visible()
    assert Signature.objects.get().status == Signature.Status.CONFIRMED


def test_javascript_checks_fields_as_people_leave_them_and_keeps_the_count_live(page):
    letter = coalition_letter()
    page.clock.install()
    page.goto("/")
    email = page.get_by_label("Email address", exact=True)
    email.fill("ada@")
    email.press("Tab")
    assert page.locator("#id_email_error").inner_text() == "Enter a valid email address, like name@example.org."
    assert email.get_attribute("aria-invalid") == "true"
    assert "id_email_error" in email.get_attribute("aria-describedby")
    assert "id_email_helptext" in email.get_attribute("aria-describedby")
    email.fill("ada@example.org")
    email.press("Tab")
    assert email.get_attribute("aria-invalid") is None
    assert page.locator("#id_email_error").inner_text() == ""

    # Someone else signs while the page is open: the count catches up without a reload.
    assert page.locator("#signature-count").inner_text() == "0"
    SignatureFactory.create_batch(2, letter=letter, craft="podcaster")
    cache.clear()
    page.clock.fast_forward("00:31")
    # expect() polls from Python: a wait_for_function string would be eval'd in the page, which the CSP refuses.
    expect(page.locator("#signature-count")).to_have_text("2")
    expect(page.locator('.crafts [data-count="podcaster"]')).to_have_text("2")


def test_every_public_page_passes_axe_with_no_serious_or_critical_violation(open_page, mailoutbox):
    letter = coalition_letter()
    SignatureFactory(name="Verified Person", letter=letter, notable=True, status=Signature.Status.VERIFIED)
    SignatureFactory.create_batch(3, letter=letter)
    desktop, phone = open_page(DESKTOP), open_page(PHONE, locale="fr-FR")
    for path in ("/", "/crafts/visual-artist/", "/signed/", "/signatories/", "/signatories/?craft=actor&q=zz"):
        for page in (desktop, phone):
            page.goto(path)
            assert_accessible(page, f"{path} {page.viewport_size}")
    for path, status in (("/corrections/", 200), ("/no-such-page/", 404), ("/confirm/not-a-token/", 404)):
        assert desktop.goto(path).status == status
        assert_accessible(desktop, path)
        shot(desktop, "desktop-" + (path.strip("/").replace("/", "-") or "home"))

    # The form with errors, from the server (as without JavaScript) and after the script's own checks.
    desktop.goto("/")
    desktop.get_by_label("Email address", exact=True).fill("x")
    desktop.get_by_label("Email address", exact=True).press("Tab")
    desktop.get_by_role("button", name="Sign the letter").click()
    assert_accessible(desktop, "form with inline errors")
    fill_the_form(desktop, name="Axe Tester", email="axe@mailinator.com")
    desktop.get_by_role("button", name="Sign the letter").click()
    assert desktop.get_by_text("Please use a permanent email address").is_visible()
    assert_accessible(desktop, "form with the server's errors")
    shot(desktop, "desktop-server-errors")

    # The sign, confirm and confirmed pages, and a confirmation link used twice.
    fill_the_form(desktop, name="Axe Tester", email="axe@example.org")
    desktop.get_by_role("button", name="Sign the letter").click()
    desktop.wait_for_url(SIGNED)
    link = confirm_path(mailoutbox[0])
    desktop.goto(link)
    assert_accessible(desktop, "confirm")
    desktop.get_by_role("button", name="Confirm my signature").click()
    desktop.get_by_role("heading", name="Thank you — your signature is confirmed").wait_for()
    assert_accessible(desktop, "confirmed")
    assert desktop.goto(link).status == 410
    assert_accessible(desktop, "used link")
    shot(desktop, "desktop-used-link")


# --- The other forms: sign-in (allauth), member pages, organisations, privacy and press -----------------------

ACCENT = "rgb(168, 32, 26)"  # --accent in site.css: the colour of "Sign the letter"


def looks_right(page, name):
    """No sideways scrolling, no serious or critical axe violation, and a screenshot to look at."""
    width = page.viewport_size["width"]
    device = "phone" if width < 600 else "desktop"
    # Against the viewport's own width: a phone browser widens window.innerWidth to whatever overflows.
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} on a {device} scrolls sideways"
    assert_accessible(page, f"{name} ({device})")
    shot(page, f"{device}-{name}")


def test_the_sign_form_needs_no_cookie(open_page, mailoutbox):
    """The letter page is shared between readers and sets no cookie: a browser that drops cookies still signs."""
    coalition_letter()
    page = open_page(DESKTOP)
    page.goto("/")
    fill_the_form(page, name="Ada Lovelace", email="ada@example.org")
    page.context.clear_cookies()
    page.get_by_role("button", name="Sign the letter").click()
    page.wait_for_url(SIGNED)
    assert Signature.objects.filter(email="ada@example.org").exists()
    assert page.context.cookies() == []


def label_above(page, label):
    """The label sits above its field, as on the sign form (not beside it)."""
    field = page.get_by_label(label, exact=True)
    label_box = page.locator(f"label[for='{field.get_attribute('id')}']").bounding_box()
    return label_box["y"] + label_box["height"] <= field.bounding_box()["y"] + 1


def assert_error_tied_to(field):
    described = field.get_attribute("aria-describedby") or ""
    assert field.get_attribute("aria-invalid") == "true"
    assert f"{field.get_attribute('id')}_error" in described.split()


def test_the_sign_in_and_public_form_pages_have_the_site_look_and_pass_axe(open_page, mailoutbox):
    coalition_letter()
    desktop, phone = open_page(DESKTOP), open_page(PHONE)
    pages = (
        ("/accounts/login/", "login", 200),
        ("/accounts/login/code/", "login-code", 200),
        ("/accounts/signup/", "signup", 200),
        ("/accounts/password/reset/", "password-reset", 200),
        ("/organisations/endorse/", "endorse", 200),
        ("/privacy/", "privacy", 200),
        ("/press/", "press", 200),
        ("/corrections/", "corrections", 200),
        ("/unsubscribe/not-a-token/", "unsubscribe-invalid", 404),
    )
    for page in (desktop, phone):
        for path, name, status in pages:
            assert page.goto(path).status == status, path
            looks_right(page, name)

        page.goto("/accounts/login/")
        assert label_above(page, "Email")
        expect(page.get_by_role("heading", level=1)).to_have_text("Organisers' sign-in")
        sign_in = page.get_by_role("button", name="Sign in", exact=True)
        assert page.evaluate("b => getComputedStyle(b).backgroundColor", sign_in.element_handle()) == ACCENT
        assert sign_in.bounding_box()["height"] >= 44, "a big touch target"
        sign_in.click()
        assert_error_tied_to(page.get_by_label("Email", exact=True))
        looks_right(page, "login-errors")

        page.goto("/accounts/signup/")
        expect(page.get_by_role("heading", level=1)).to_have_text("No sign-up needed")
        page.get_by_role("link", name="Send me a sign-in code").click()
        page.wait_for_url(re.compile(r"/accounts/login/code/$"))

        page.goto("/organisations/endorse/")
        page.get_by_role("button", name="Endorse the letter").click()
        assert page.get_by_text("Please correct the 6 fields marked below.").is_visible()
        assert_error_tied_to(page.get_by_label("Organisation name"))
        looks_right(page, "endorse-errors")

    desktop.goto("/organisations/endorse/")
    desktop.get_by_label("Organisation name").fill("Guild of Illustrators")
    desktop.get_by_label("It is a").select_option(index=1)
    desktop.get_by_label("Its website").fill("https://illustrators.example.org")
    desktop.get_by_label("Your name").fill("Ilse Stratton")
    desktop.get_by_label("Your email address at the organisation").fill("ilse@illustrators.example.org")
    desktop.get_by_label("I am authorised", exact=False).check()
    desktop.get_by_role("button", name="Endorse the letter").click()
    expect(desktop.get_by_role("heading", name="Thank you")).to_be_visible()
    looks_right(desktop, "endorse-thanks")

    # The contact proves the address is theirs: the mailed link shows a button, which confirms.
    link = re.search(r"https?://\S+/organisations/confirm/[^/\s]+/", mailoutbox[-1].body).group(0)
    desktop.goto(urlsplit(link).path)
    looks_right(desktop, "endorse-confirm")
    desktop.get_by_role("button", name="Confirm the endorsement").click()
    expect(desktop.get_by_role("heading", name="Thank you — your address is confirmed")).to_be_visible()
    looks_right(desktop, "endorse-confirmed")


def test_a_member_signs_in_by_code_and_every_member_page_passes_axe(open_page, mailoutbox, django_user_model):
    from allauth.account.models import EmailAddress

    from coalition.accounts.services import unsubscribe_token
    from coalition.signatures.models import ChannelProof
    from tests.accounts.conftest import login_code

    letter = coalition_letter()
    user = django_user_model.objects.create_user(username="mira@example.org", email="mira@example.org")
    EmailAddress.objects.create(user=user, email="mira@example.org", verified=True, primary=True)
    signature = SignatureFactory(letter=letter, email="mira@example.org", name="Mira Vlog", craft="youtuber")
    ChannelProof.objects.create(signature=signature, url="https://video.example.org/@mira", token="ccai-proof-4f2a9c")

    for page in (open_page(DESKTOP), open_page(PHONE)):
        page.goto("/accounts/login/code/")
        page.get_by_label("Email", exact=True).fill("mira@example.org")
        page.get_by_role("button", name="Email me a code").click()
        page.wait_for_url(re.compile(r"/accounts/login/code/confirm/$"))
        looks_right(page, "login-code-confirm")
        page.get_by_role("button", name="Confirm").click()
        assert_error_tied_to(page.get_by_label("Code", exact=True))
        looks_right(page, "login-code-confirm-errors")
        page.get_by_label("Code", exact=True).fill(login_code(mailoutbox[-1]))
        page.get_by_role("button", name="Confirm").click()
        page.wait_for_url(re.compile(r"/account/$"))

        for path, name in (
            ("/account/", "account"),
            ("/account/signature/", "account-signature"),
            ("/account/profile/", "account-profile"),
            ("/account/delete/", "account-delete"),
            ("/accounts/email/", "account-email"),
            ("/accounts/logout/", "logout"),
            (f"/unsubscribe/{unsubscribe_token(email='mira@example.org')}/", "unsubscribe"),
        ):
            assert page.goto(path).status == 200, path
            looks_right(page, name)

        # allauth's own script asks before an address is removed; dismissing it removes nothing.
        page.goto("/accounts/email/")
        prompts = []
        page.once("dialog", lambda dialog, prompts=prompts: (prompts.append(dialog.message), dialog.dismiss()))
        page.locator("[name=action_remove]").click()
        assert prompts and "remove" in prompts[0].lower()
        assert page.url.endswith("/accounts/email/")

        page.goto("/account/signature/")
        assert page.locator("nav.member [aria-current=page]").inner_text() == "My signature"
        name = page.get_by_label("Full name", exact=True)
        assert label_above(page, "Full name")
        name.fill("")
        page.get_by_role("button", name="Save").first.click()
        assert_error_tied_to(page.get_by_label("Full name", exact=True))
        looks_right(page, "account-signature-errors")

        page.goto("/account/profile/")
        page.get_by_label("Writer").check()
        page.get_by_label("A short public bio (optional)").fill("!!!")
        page.get_by_role("button", name="Save").click()
        assert_error_tied_to(page.get_by_label("A short public bio (optional)"))
        assert page.get_by_label("Writer").is_checked(), "what was chosen stays chosen"
        looks_right(page, "account-profile-errors")

        page.goto("/account/delete/")
        page.get_by_role("button", name="Delete my account").click()
        assert_error_tied_to(page.get_by_label("Yes, delete my account", exact=False))
        looks_right(page, "account-delete-errors")


def test_the_press_page_shows_the_snapshot_chain_and_a_break_on_a_phone(open_page):
    letter = coalition_letter()
    for day in (1, 2, 3, 4):
        SignatureFactory(letter=letter)
        list_snapshot_take(letter=letter, now=datetime(2026, 1, day, 12, tzinfo=UTC))
    ListSnapshot.objects.filter(day="2026-01-02").delete()
    for page in (open_page(DESKTOP), open_page(PHONE)):
        page.goto("/press/")
        expect(page.get_by_text("the chain is broken here")).to_have_count(1)
        expect(page.get_by_role("columnheader", name="SHA-256 of the snapshot before")).to_be_visible()
        looks_right(page, "press-chain")


def test_on_a_phone_a_paused_letter_says_so_on_the_first_screen(open_page):
    from coalition.core.models import Switches

    coalition_letter()
    Switches.objects.create(signing_paused=True, pause_reason="While we check a wave of fake names.")
    page = open_page(PHONE)
    page.goto("/")
    notice = page.locator(".hero-notice")
    expect(notice).to_contain_text("Signing is paused for a short while. While we check a wave of fake names.")
    expect(notice).to_be_in_viewport()
    expect(page.locator(".hero a.cta")).to_have_count(0)
    assert_accessible(page, "paused-phone")


def test_a_typo_is_fixed_with_one_tap_under_the_address(open_page, mailoutbox):
    coalition_letter()
    page = open_page(PHONE, javascript=False)
    page.goto("/")
    fill_the_form(page, name="Ada Lovelace", email="ada@gmai.com")
    page.get_by_role("button", name="Sign the letter").last.click()
    fix = page.get_by_role("button", name="Use ada@gmail.com")
    expect(fix).to_be_visible()
    expect(page.get_by_label("Yes, my address is spelled right")).to_be_visible()
    fix.click()
    expect(page).to_have_url(SIGNED)
    assert Signature.objects.get().email == "ada@gmail.com"


def test_on_a_phone_the_list_shows_names_on_the_first_screen_and_filters_fold(open_page):
    from coalition.signatures.moderation import signature_set_notable

    coalition_letter()
    stars = [SignatureFactory(name=f"Famous Person {n}") for n in range(40)]
    for n in range(60):
        SignatureFactory(name=f"Everyday Creator {n}")
    signature_set_notable(signature_ids=[s.pk for s in stars], notable=True, actor=None)

    phone = open_page(PHONE)
    phone.goto("/signatories/")
    first_name = phone.locator(".signatories .name").first
    assert first_name.bounding_box()["y"] < phone.viewport_size["height"], "a name on the first screen"
    assert phone.locator("ul.notable-list li").count() == 6
    assert not phone.get_by_label("Country").is_visible(), "filters folded on a phone"
    phone.get_by_text("Filters and order").click()
    phone.get_by_label("Order").select_option("name")
    phone.get_by_role("button", name="Apply").click()
    expect(phone.locator(".matches")).to_contain_text("Clear filters")
    assert phone.locator("ol.signatories .name").first.inner_text() == "Everyday Creator 0"
    assert fits_the_screen(phone)
    shot(phone, "phone-list")

    desktop = open_page(DESKTOP)
    desktop.goto("/signatories/")
    assert desktop.get_by_label("Country").is_visible(), "open on a wide screen"
