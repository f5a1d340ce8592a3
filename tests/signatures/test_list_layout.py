"""The public list as a reader meets it: results first, the search box, filters folded, how many match and how to
clear them, a short notable section with a link to all of them, and an order by name as well as newest."""

import pytest
from bs4 import BeautifulSoup

from coalition.signatures import moderation
from coalition.signatures.models import Signature


def _page(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    return BeautifulSoup(response.text, "html.parser")


def _names(page, selector="ol.signatories .name"):
    return [node.get_text(strip=True) for node in page.select(selector)]


def test_the_notable_section_is_a_handful_with_a_link_to_all_of_them(client, letter, signature_factory, organiser):
    stars = [signature_factory(name=f"Star {n:02d}") for n in range(9)]
    signature_factory(name="Ordinary Person")
    moderation.signature_set_notable(signature_ids=[s.pk for s in stars], notable=True, actor=organiser)
    page = _page(client, "/signatories/")
    assert len(page.select("ul.notable-list li")) == 6
    link = page.find("a", string="See all notable signatories")
    every_notable = _page(client, "/signatories/" + link["href"])
    assert sorted(_names(every_notable)) == [f"Star {n:02d}" for n in range(9)]
    assert "1 match" not in every_notable.text and "9 matches" in every_notable.text


def test_the_search_box_comes_before_the_names_and_the_filters_are_folded(client, letter, signature_factory):
    signature_factory(name="Ada Lovelace")
    html = client.get("/signatories/").text
    assert html.index('id="q"') < html.index("Ada Lovelace")
    filters = BeautifulSoup(html, "html.parser").select_one("details.filters")
    assert filters is not None and not filters.has_attr("open"), "folded until someone filters"


def test_a_filtered_list_says_how_many_match_and_how_to_clear_the_filters(client, letter, signature_factory):
    for n in range(3):
        signature_factory(name=f"Writer {n}", craft="writer")
    signature_factory(name="Actor One", craft="actor")
    page = _page(client, "/signatories/?craft=writer")
    assert page.select_one(".matches").get_text(" ", strip=True).startswith("3 matches")
    assert page.select_one("details.filters").has_attr("open")
    clear = page.find("a", string="Clear filters")
    assert "Actor One" in _names(_page(client, clear["href"]))
    one = _page(client, "/signatories/?q=Actor")
    assert one.select_one(".matches").get_text(" ", strip=True).startswith("1 match ")


def test_a_common_name_says_more_than_a_thousand_without_counting_them_all(client, letter, signature_factory):
    from tests.factories import signatures_imported

    signatures_imported(letter=letter, n=1005, name="Common Name {n}")
    page = _page(client, "/signatories/?q=Common")
    assert page.select_one(".matches").get_text(" ", strip=True).startswith("More than 1,000 matches")


def test_the_list_can_be_read_in_order_of_name_page_after_page(client, letter, signature_factory, settings):
    settings.SIGNATORIES_PER_PAGE = 2
    names = ["Zoë Zed", "Ada Lovelace", "Mira Vlog", "Bob Ross", "Ada Lovelace"]
    for name in names:
        signature_factory(name=name)
    seen, path = [], "/signatories/?sort=name"
    while path:
        page = _page(client, path)
        seen += _names(page)
        following = page.find("a", rel="next")
        path = "/signatories/" + following["href"] if following else None
    assert seen == sorted(names)
    assert Signature.objects.count() == len(seen), "every name once, none twice"


@pytest.mark.parametrize(
    "query",
    [
        "sort=oldest",
        "notable=maybe",
        "sort=name&after=not-a-cursor",
        "sort=name&after=bnxhAGJ8NQ",  # "n|a\x00b|5": a name with NUL, which PostgreSQL cannot compare
        "after=bnx4fDU",  # a name-order cursor on the newest-first list
    ],
)
def test_a_bad_order_or_cursor_is_a_clear_error(client, letter, query):
    response = client.get(f"/signatories/?{query}")
    assert response.status_code == 400
    assert BeautifulSoup(response.text, "html.parser").select_one(".errors").get_text(strip=True)
