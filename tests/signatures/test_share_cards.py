import io
import re
from itertools import pairwise

import pytest
from django.conf import settings
from PIL import Image, ImageFont

from coalition.signatures import cards
from coalition.signatures.cards import HEIGHT, MARGIN, WIDTH, card_layout, share_card_png
from coalition.signatures.models import Craft


def png(response):
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    return Image.open(io.BytesIO(response.content))


@pytest.mark.parametrize("url", ["/share/letter.png", *[f"/share/{craft}.png" for craft in Craft.values]])
def test_share_cards_are_1200_by_630_png_images(client, signature_factory, url):
    signature_factory.create_batch(2, craft="visual-artist")
    image = png(client.get(url))
    assert image.format == "PNG" and image.size == (1200, 630)
    assert "max-age=300" in client.get(url)["Cache-Control"]


@pytest.mark.parametrize("craft", ["astronaut", "ACTOR", "letter2", "%00", "..", "a" * 300])
def test_an_unknown_craft_has_no_card(client, letter, craft):
    assert client.get(f"/share/{craft}.png").status_code in (400, 404)


def test_the_card_shows_the_count_and_changes_with_it(client, signature_factory):
    signature_factory(craft="actor")
    one = client.get("/share/actor.png").content
    assert one == client.get("/share/actor.png").content, "served from the cache"
    assert one != client.get("/share/writer.png").content, "one card per craft"
    signature_factory(craft="actor")
    from django.core.cache import cache

    cache.clear()  # the card is redrawn once its few minutes in the cache are over
    assert client.get("/share/actor.png").content != one


def test_a_cached_card_costs_at_most_one_query(client, signature_factory, django_assert_max_num_queries):
    signature_factory()
    client.get("/share/letter.png")
    with django_assert_max_num_queries(1):
        png(client.get("/share/letter.png"))


def meta(page, key):
    match = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)">', page)
    assert match, f"no {key}"
    return match.group(1)


def test_the_letter_page_and_the_list_carry_link_preview_tags(client, signature_factory):
    signature_factory.create_batch(3)
    home = client.get("/").text
    assert meta(home, "og:image") == "http://127.0.0.1:8000/share/letter.png"
    assert meta(home, "og:title") == "Consent first: an open letter from creators on AI"
    assert "3 creators have signed" in meta(home, "og:description")
    assert meta(home, "twitter:card") == "summary_large_image"
    listing = client.get("/signatories/").text
    assert meta(listing, "og:image") == "http://127.0.0.1:8000/share/letter.png"
    assert meta(listing, "og:title") and "3 confirmed signatures" in meta(listing, "og:description")
    assert meta(listing, "twitter:card") == "summary_large_image"
    by_craft = client.get("/signatories/?craft=musician").text
    assert meta(by_craft, "og:image") == "http://127.0.0.1:8000/share/musician.png"


def test_link_preview_tags_follow_the_language(client, letter):
    home = client.get("/fr/").text
    assert meta(home, "og:title").startswith("Le consentement d&#x27;abord")


def test_without_the_configured_font_cards_still_draw_accented_titles_legibly(client, letter, settings):
    settings.SHARE_CARD_FONT = "/nonexistent/font.ttf"
    assert png(client.get("/fr/share/letter.png")).size == (1200, 630)
    card = {"kicker": "Coalition", "figure": "12", "caption": "ont signé", "footer": "example.org", "font_path": ""}
    # Pillow's bundled font has no accented letters: they are drawn as their plain letters, never as boxes.
    assert share_card_png(title="des créateurs", **card) == share_card_png(title="des createurs", **card)


@pytest.fixture
def drawn(monkeypatch):
    """The lines of every card drawn during the test, card by card, as the card laid them out."""
    layouts = []

    def spy(**card):
        layouts.append(card_layout(**card))
        return layouts[-1]

    monkeypatch.setattr(cards, "card_layout", spy)
    return layouts


def assert_fits(layout):
    """Every line's ink inside the card's margins, and no line box over the next one."""
    boxes = []
    for line in layout:
        font = ImageFont.truetype(settings.SHARE_CARD_FONT, line.size)
        left, top, right, bottom = font.getbbox(line.text)
        assert line.x + left >= MARGIN and line.x + right <= WIDTH - MARGIN, f"{line.text!r} is too wide"
        ascent, descent = font.getmetrics()
        boxes.append((line.y, line.y + ascent + descent, line.text))
        assert line.y + top >= 0 and line.y + bottom <= HEIGHT, f"{line.text!r} is off the card"
    for (_, bottom, text), (top, _, following) in pairwise(sorted(boxes)):
        assert bottom <= top, f"{text!r} runs into {following!r}"


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("url", ["/share/letter.png", *[f"/share/{craft}.png" for craft in Craft.values]])
def test_every_card_shows_all_its_text_inside_the_card_in_every_language(client, letter, drawn, url, language):
    png(client.get(url if language == "en" else f"/{language}{url}"))
    [layout] = drawn
    assert_fits(layout)
    assert not any("…" in line.text for line in layout), "nothing is cut"


def test_the_french_letter_card_shows_its_whole_caption(client, signature_factory, drawn):
    signature_factory.create_batch(2)
    png(client.get("/fr/share/letter.png"))
    text = " ".join(line.text for line in drawn[0])
    assert "créatrices et créateurs ont signé la lettre ouverte" in text


def test_the_french_technician_card_shows_the_whole_craft(client, letter, drawn):
    png(client.get("/fr/share/technician.png"))
    text = " ".join(line.text for line in drawn[0])
    assert "COALITION DES CRÉATEURS SUR L'IA · TECHNICIEN OU TECHNICIENNE (CINÉMA, TÉLÉ)" in text


def test_text_too_long_for_any_size_is_cut_with_an_ellipsis_but_stays_on_the_card():
    layout = card_layout(
        kicker="Coalition " * 40,
        title="An extraordinarily long title " * 30,
        figure="1" * 60,
        caption="W" * 200,
        footer="example.org/" + "x" * 200,
        font_path=settings.SHARE_CARD_FONT,
    )
    assert_fits(layout)
    assert [line.text[-1] for line in layout].count("…") == 5, "each of the five texts shows it was cut"


def test_a_line_break_typed_into_a_title_breaks_the_line_and_is_never_drawn():
    layout = card_layout(
        kicker="Coalition",
        title="Consent first,\nlicensing\tsecond",
        figure="12",
        caption="creators have signed",
        footer="example.org",
        font_path=settings.SHARE_CARD_FONT,
    )
    assert_fits(layout)
    drawn = " ".join(line.text for line in layout)
    assert "\n" not in drawn and "\t" not in drawn
    assert "Consent first, licensing second" in drawn


@pytest.mark.parametrize("title", ["Paragraph\u2029separator", "NEL\x85here", "ctl\x1cx", "tab\there\r\nand more"])
def test_separators_and_control_characters_pasted_into_a_title_still_make_a_card(client, letter, title):
    from coalition.letters.models import LetterVersion

    LetterVersion.objects.update(title=title)
    for url in ("/share/letter.png", "/share/technician.png"):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
