"""Counts read as the reader's language writes them: 1,295 in English, 1 295 in French (a no-break space, as on
the letter page), wherever the site or its embeds show one."""

import re

import pytest

from coalition.signatures.cards import card_layout
from tests.factories import signatures_imported

ENGLISH, FRENCH = "1,295", "1\xa0295"


@pytest.fixture
def signed_1295(letter):
    """1,295 confirmed signatures, imported in bulk and then counted, as the organisers would after an import."""
    signatures_imported(letter=letter, n=1295)


def get(client, url, language):
    # English at the address as it is, French under /fr/.
    return client.get(url if language == "en" else f"/{language}{url}")


def og_description(page):
    return re.search(r'<meta (?:property|name)="og:description" content="([^"]*)">', page).group(1)


def test_the_letter_page_shows_the_count_as_each_language_writes_it(client, signed_1295):
    # The reference the other places follow.
    assert f'<strong data-count="total">{ENGLISH}</strong>' in get(client, "/", "en").text
    assert f'<strong data-count="total">{FRENCH}</strong>' in get(client, "/", "fr").text


@pytest.mark.parametrize("language, count", [("en", ENGLISH), ("fr", FRENCH)])
def test_the_badge_writes_the_count_as_the_language_does(client, signed_1295, language, count):
    svg = get(client, "/badge.svg", language).text
    label = "signée par" if language == "fr" else "signed by"
    assert f"<title>{label} {count}</title>" in svg
    assert f">{count}</text>" in svg


@pytest.mark.parametrize("language, count", [("en", ENGLISH), ("fr", FRENCH)])
@pytest.mark.parametrize("url", ["/", "/signatories/", "/signatories/?craft=actor"])
def test_link_previews_write_the_count_as_the_language_does(client, signed_1295, url, language, count):
    description = og_description(get(client, url, language).text)
    assert description.startswith(f"{count} "), description


@pytest.mark.parametrize("language, count", [("en", ENGLISH), ("fr", FRENCH)])
def test_the_embedded_counter_groups_the_digits_as_the_language_does(client, signed_1295, language, count):
    assert f"<strong>{count}</strong>" in get(client, "/embed/counter/", language).text


@pytest.mark.parametrize("language, count", [("en", ENGLISH), ("fr", FRENCH)])
@pytest.mark.parametrize("url", ["/share/letter.png", "/share/actor.png"])
def test_share_cards_draw_the_count_as_the_language_does(client, signed_1295, monkeypatch, url, language, count):
    drawn = []

    def spy(**card):
        layout = card_layout(**card)
        drawn.extend(line.text for line in layout)
        return layout

    monkeypatch.setattr("coalition.signatures.cards.card_layout", spy)
    assert get(client, url, language).status_code == 200
    assert count in drawn
