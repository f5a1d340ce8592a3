"""When signing is paused or the letter is closed, the top of the page says so, and why, instead of inviting
people to sign."""

import pytest
from bs4 import BeautifulSoup

from coalition.core.models import Switches


def _hero(client, path="/"):
    return BeautifulSoup(client.get(path).text, "html.parser").select_one(".hero")


def test_an_open_letter_invites_people_to_sign_at_the_top(client, letter):
    hero = _hero(client)
    assert hero.select_one("a.cta").get_text(strip=True) == "Sign the letter"
    assert hero.select_one(".hero-notice") is None


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/", "Signing is paused for a short while. While we check a wave of fake names."),
        ("/fr/", "Les signatures sont suspendues pour un court moment. Le temps de vérifier une vague de faux noms."),
    ],
)
def test_paused_signing_is_said_at_the_top_with_the_organisers_reason(client, letter, path, expected):
    Switches.objects.create(
        signing_paused=True,
        pause_reason="While we check a wave of fake names.",
        pause_reason_fr="Le temps de vérifier une vague de faux noms.",
    )
    hero = _hero(client, path)
    assert hero.select_one("a.cta") is None
    assert expected in hero.select_one(".hero-notice").get_text(" ", strip=True)


def test_a_closed_letter_says_so_at_the_top_and_why(client, letter):
    letter.closed_reason = "It was delivered to the studios on 1 March."
    letter.is_open = False
    letter.save()
    for path in ("/", "/crafts/actor/"):
        hero = _hero(client, path)
        assert hero.select_one("a.cta") is None
        notice = hero.select_one(".hero-notice").get_text(" ", strip=True)
        assert notice == (
            "This letter is closed and no longer takes signatures. It was delivered to the studios on 1 March."
        )


def test_a_reason_in_english_only_is_shown_to_french_readers_too(client, letter):
    Switches.objects.create(signing_paused=True, pause_reason="Back at noon.")
    assert "Back at noon." in _hero(client, "/fr/").select_one(".hero-notice").get_text()
