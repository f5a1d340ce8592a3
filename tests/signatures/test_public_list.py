import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from coalition.signatures.models import Signature


@pytest.fixture
def listed(signature_factory):
    now = timezone.now()
    return {
        "old": signature_factory(name="Old Actor", craft="actor", confirmed_at=now - timedelta(days=2)),
        "new": signature_factory(name="New Writer", craft="writer", confirmed_at=now - timedelta(hours=1)),
        "mid": signature_factory(name="Mid Musician", craft="musician", confirmed_at=now - timedelta(days=1)),
        "hidden": signature_factory(name="Hidden Person", craft="actor", public=False),
        "pending": signature_factory(name="Pending Person", craft="actor", pending=True),
    }


def test_list_shows_confirmed_public_signatures_newest_first(client, listed):
    page = client.get("/signatories/").text
    assert page.index("New Writer") < page.index("Mid Musician") < page.index("Old Actor")
    assert "Hidden Person" not in page
    assert "Pending Person" not in page


def test_list_filters_by_craft_and_searches_by_name(client, listed):
    page = client.get("/signatories/?craft=actor").text
    assert "Old Actor" in page and "New Writer" not in page
    page = client.get("/signatories/?q=writ").text
    assert "New Writer" in page and "Old Actor" not in page
    page = client.get("/signatories/?q=WRITER&craft=musician").text
    assert "New Writer" not in page and "Mid Musician" not in page


def test_list_search_is_case_insensitive_in_any_script(client, signature_factory):
    signature_factory(name="Zoë Ñúñez")
    assert "Zoë Ñúñez" in client.get("/signatories/?q=zoë").text


def test_counts_include_confirmed_unnamed_signatures_but_not_pending_ones(client, listed):
    stats = client.get("/api/v1/stats/").json()
    assert stats["total"] == 4
    assert stats["by_craft"]["actor"] == 2
    assert stats["by_craft"]["writer"] == 1
    assert stats["by_craft"]["director"] == 0
    assert set(stats["by_craft"]) == {c for c, _ in Signature._meta.get_field("craft").choices}
    page = client.get("/signatories/").text
    assert "4 confirmed signatures" in page


def test_list_is_paginated_by_cursor_newer_and_older(client, signature_factory, settings):
    settings.SIGNATORIES_PER_PAGE = 2
    now = timezone.now()
    for n in range(5):
        signature_factory(name=f"Person {n}", confirmed_at=now - timedelta(minutes=n))
    first = client.get("/signatories/")
    assert [s.name for s in first.context["window"].items] == ["Person 0", "Person 1"]
    older = first.context["window"].next_cursor
    second = client.get(f"/signatories/?after={older}")
    assert [s.name for s in second.context["window"].items] == ["Person 2", "Person 3"]
    assert 'rel="prev"' in second.text and 'rel="next"' in second.text
    third = client.get(f"/signatories/?after={second.context['window'].next_cursor}")
    assert [s.name for s in third.context["window"].items] == ["Person 4"]
    assert third.context["window"].next_cursor is None
    back = client.get(f"/signatories/?before={third.context['window'].previous_cursor}")
    assert [s.name for s in back.context["window"].items] == ["Person 2", "Person 3"]


def test_api_lists_the_same_public_signatures_with_filters(client, listed):
    body = client.get("/api/v1/signatories/").json()
    assert [r["name"] for r in body["results"]] == ["New Writer", "Mid Musician", "Old Actor"]
    assert body["next"] is None and body["previous"] is None
    assert set(body["results"][0]) == {
        "name",
        "craft",
        "craft_label",
        "affiliation",
        "country",
        "profile_url",
        "confirmed_at",
        "verified",
        "notable",
        "channel_verified",
    }
    assert [r["name"] for r in client.get("/api/v1/signatories/?craft=actor").json()["results"]] == ["Old Actor"]
    assert [r["name"] for r in client.get("/api/v1/signatories/?q=mid").json()["results"]] == ["Mid Musician"]


def test_api_pages_link_to_each_other(client, signature_factory, settings):
    settings.SIGNATORIES_PER_PAGE = 2
    signature_factory.create_batch(3, craft="director")
    signature_factory(craft="actor")
    first = client.get("/api/v1/signatories/?craft=director").json()
    assert first["previous"] is None and len(first["results"]) == 2
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["results"][0]["craft"] == "director"
    assert second["next"] is None
    assert client.get(second["previous"]).json()["results"] == first["results"]


def test_csv_export_lists_public_signatures_only(client, listed):
    response = client.get("/signatories.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["name"] for r in rows] == ["New Writer", "Mid Musician", "Old Actor"]


def test_csv_neutralises_formulas_in_names(client, signature_factory):
    signature_factory(name='=HYPERLINK("http://evil")')
    content = b"".join(client.get("/signatories.csv").streaming_content).decode()
    assert "'=HYPERLINK" in content


def test_no_email_address_reaches_any_public_surface(client, signature_factory):
    signature_factory(email="secret.person@private.example", affiliation="Director", public=True)
    signature_factory(email="hidden.person@private.example", public=False)
    for url in ("/", "/signatories/", "/api/v1/signatories/", "/api/v1/stats/", "/signatories.csv"):
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"private.example" not in body, url
        if url != "/":  # the home page has the sign form's email field
            assert b"@" not in body, url


@pytest.mark.parametrize(
    "query",
    [
        "craft=astronaut",
        "craft=%3Cscript%3E",
        "q=%00",
        "q=" + "a" * 5000,
        "page=abc",
        "after=-1",
        "before=99999",
        "after=MjAyNi0xMS0yNVQwODowMDowMCswMDowMHwx",
        "q=%27%3B%20DROP%20TABLE%20signatures%3B--",
        "q=%F0%9F%8E%B6&craft=",
        "craft[]=actor",
    ],
)
def test_hostile_query_strings_never_break_the_list(client, listed, query):
    for url in ("/signatories/", "/api/v1/signatories/", "/signatories.csv"):
        response = client.get(f"{url}?{query}")
        assert response.status_code in (200, 400, 404), (url, query, response.status_code)
        if url.startswith("/api/"):
            assert response["Content-Type"] == "application/json"


def test_unknown_craft_is_a_clear_400_in_the_api(client, letter):
    response = client.get("/api/v1/signatories/?craft=astronaut")
    assert response.status_code == 400
    assert "Unknown craft" in response.json()["error"]


@pytest.mark.parametrize(
    "cursor",
    [
        "abc",
        "!!!",
        "MjAyNnww",
        "bm90fGF8Y3Vyc29y",
        "x" * 5000,
        "OTk5OS0xMi0zMVQyMzo1OTo1OS0xNDowMHwx",  # 9999-12-31T23:59:59-14:00|1: after the last day in UTC
        "MDAwMS0wMS0wMVQwMDowMDowMCsxNDowMHwx",  # 0001-01-01T00:00:00+14:00|1: before the first
    ],
)
def test_a_bad_cursor_is_a_clear_error(client, letter, cursor):
    for key in ("after", "before"):
        response = client.get(f"/api/v1/signatories/?{key}={cursor}")
        assert response.status_code == 400
        assert "cursor" in response.json()["error"]
        page = client.get(f"/signatories/?{key}={cursor}")
        assert page.status_code == 400 and "cursor" in page.text


@pytest.mark.parametrize("url", ["/", "/signatories/", "/api/v1/signatories/", "/api/v1/stats/"])
def test_public_pages_make_the_same_few_queries_whatever_the_page_size(
    client, signature_factory, settings, django_assert_max_num_queries, url
):
    signature_factory.create_batch(30)
    client.get(url)  # warm the counts cache the way a busy site has it
    for size in (5, 30):
        settings.SIGNATORIES_PER_PAGE = size
        with django_assert_max_num_queries(4):
            assert client.get(url).status_code == 200


def test_name_search_on_postgresql_ignores_accents_on_a_trigram_index(client, signature_factory):
    from django.db import connection

    from tests.conftest import service_missing

    if connection.vendor != "postgresql":
        service_missing("PostgreSQL (DATABASE_URL) for the trigram search")
    signature_factory(name="Zoë Saldaña-Ñúñez")
    signature_factory(name="Someone Else")
    for q in ("zoe", "SALDANA", "nunez", "Zoë"):
        names = [r["name"] for r in client.get(f"/api/v1/signatories/?q={q}").json()["results"]]
        assert names == ["Zoë Saldaña-Ñúñez"], q
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'signature_name_trgm'")
        assert "lower(coalition_unaccent((name)::text)) gin_trgm_ops" in cursor.fetchone()[0]


def test_search_treats_like_wildcards_as_plain_text(client, signature_factory):
    signature_factory(name="100% Real")
    signature_factory(name="100 Percent Real")
    signature_factory(name="Fake_Name")
    signature_factory(name="FakeXName")
    assert [r["name"] for r in client.get("/api/v1/signatories/?q=100%25").json()["results"]] == ["100% Real"]
    assert [r["name"] for r in client.get("/api/v1/signatories/?q=ake_nam").json()["results"]] == ["Fake_Name"]


def test_a_search_of_one_or_two_characters_matches_the_start_of_a_word(client, signature_factory):
    for name in ("Calvin Wu", "Wu Lei", "Anna Kowulski", "Matthew Uwu"):
        signature_factory(name=name)
    assert sorted(r["name"] for r in client.get("/api/v1/signatories/?q=wu").json()["results"]) == [
        "Calvin Wu",
        "Wu Lei",
    ]
    assert [r["name"] for r in client.get("/api/v1/signatories/?q=k").json()["results"]] == ["Anna Kowulski"]
    assert "Anna Kowulski" in client.get("/signatories/?q=wul").text  # three and more: anywhere in the name


def test_a_search_of_one_letter_words_cut_by_punctuation_matches_the_start_of_a_word(client, signature_factory):
    for name in ("Conan O'Brien", "Jo'bi Nakamura", "Anne de la Tour"):
        signature_factory(name=name)
    assert [r["name"] for r in client.get("/api/v1/signatories/?q=o'b").json()["results"]] == ["Conan O'Brien"]
    assert [r["name"] for r in client.get("/api/v1/signatories/?q=de la").json()["results"]] == ["Anne de la Tour"]


def test_a_search_inside_a_word_written_with_vowel_signs_finds_it(client, signature_factory):
    signature_factory(name="राज कुमार")
    # "मार" is three letters with a vowel sign: a word, searched anywhere in the name.
    assert [r["name"] for r in client.get("/api/v1/signatories/?q=मार").json()["results"]] == ["राज कुमार"]


@pytest.mark.parametrize("q", ["%25", "_", "!!!", "%F0%9F%8E%AC", "-", "%27%22"])
def test_a_search_without_any_letter_or_digit_is_a_clear_400(client, signature_factory, q):
    signature_factory(name="100% Real!!!")
    response = client.get(f"/api/v1/signatories/?q={q}")
    assert response.status_code == 400
    assert response.json() == {"error": "Search for a name by some of its letters or digits."}
    page = client.get(f"/signatories/?q={q}")
    assert page.status_code == 400 and "letters or digits" in page.text
    assert client.get(f"/signatories.csv?q={q}").status_code == 400
