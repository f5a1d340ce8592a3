"""What a signer sees on the form: autofill that fills the right boxes, a typo hint beside the address it is about
with a one-tap fix, and an affiliation hint that does not ask for the craft again."""

import re

import pytest
from bs4 import BeautifulSoup

from coalition.signatures.models import Signature


def _form(html):
    return BeautifulSoup(html, "html.parser").select_one("form.sign-form")


def test_the_sign_form_tells_browsers_what_to_fill_in(client, letter):
    form = _form(client.get("/").text)
    expected = {
        "name": ("name", "text"),
        "email": ("email", "email"),
        "affiliation": ("organization", "text"),
        "profile_url": ("url", "url"),
    }
    for name, (autocomplete, kind) in expected.items():
        field = form.select_one(f'input[name="{name}"]')
        assert (field["autocomplete"], field["type"]) == (autocomplete, kind), name
    assert form.select_one('select[name="country"]')["autocomplete"] == "country"
    assert form.select_one('input[name="website"]')["autocomplete"] == "off"  # the honeypot stays unfilled


def test_the_organisation_form_tells_browsers_what_to_fill_in(client, letter):
    page = BeautifulSoup(client.get("/organisations/endorse/").text, "html.parser")
    assert page.select_one('input[name="name"]')["autocomplete"] == "organization"
    assert page.select_one('input[name="website"]')["autocomplete"] == "url"
    assert page.select_one('input[name="contact_name"]')["autocomplete"] == "name"
    assert page.select_one('input[name="contact_email"]')["autocomplete"] == "work email"


def test_the_typo_hint_sits_under_the_address_with_a_one_tap_fix_and_the_keep_option(sign):
    form = _form(sign(email="ada@gmai.com").text)
    names = [
        element.get("name")
        for element in form.find_all(["input", "select", "button"])
        if element.get("name") and element.get("type") != "hidden"
    ]
    email = names.index("email")
    assert names[email + 1 : email + 3] == ["use_email", "keep_email"]
    button = form.select_one('button[name="use_email"]')
    assert button["value"] == "ada@gmail.com"
    assert button.get_text(strip=True) == "Use ada@gmail.com"
    assert "Did you mean" in form.select_one(".field-email").get_text()


def test_one_tap_on_the_fix_signs_with_the_corrected_address(sign, mailoutbox):
    response = sign(email="ada@gmai.com", use_email="ada@gmail.com")
    assert response.status_code == 302
    assert Signature.objects.get().email == "ada@gmail.com"
    assert mailoutbox[0].to == ["ada@gmail.com"]


def test_the_fix_is_checked_like_a_typed_address(sign):
    response = sign(email="ada@gmai.com", use_email="not an address")
    assert response.status_code == 400
    assert Signature.objects.count() == 0


@pytest.mark.parametrize(
    "path, expected",
    [("/", "Your union, guild, studio or show"), ("/fr/", "Votre syndicat, guilde, studio ou émission")],
)
def test_the_affiliation_hint_asks_for_what_the_craft_does_not_say(client, letter, path, expected):
    help_text = _form(client.get(path).text).select_one(".field-affiliation .help").get_text()
    assert expected in help_text
    assert not re.search(r"Actor, SAG", help_text)
