import csv
import io

import pytest

from coalition.signatures import moderation


@pytest.fixture
def people(signature_factory, admin_user):
    made = {
        "fr_actor_verified": signature_factory(name="Verified French Actor", craft="actor", country="FR"),
        "fr_actor": signature_factory(name="Plain French Actor", craft="actor", country="FR"),
        "fr_writer_verified": signature_factory(name="Verified French Writer", craft="writer", country="FR"),
        "us_actor_verified": signature_factory(name="Verified American Actor", craft="actor", country="US"),
    }
    moderation.signature_verify(
        signature_ids=[made[k].pk for k in made if k.endswith("verified")], actor=admin_user, method="profile_checked"
    )
    return made


def api_names(client, query):
    return sorted(r["name"] for r in client.get(f"/api/v1/signatories/?{query}").json()["results"])


def csv_names(client, query):
    response = client.get(f"/signatories.csv?{query}")
    return sorted(r["name"] for r in csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def page_names(client, query):
    return sorted(s.name for s in client.get(f"/signatories/?{query}").context["window"].items)


@pytest.mark.parametrize("names", [api_names, csv_names, page_names])
def test_craft_country_and_verified_filters_combine(client, people, names):
    assert names(client, "craft=actor&country=FR&verified=true") == ["Verified French Actor"]
    assert names(client, "craft=actor&country=fr&verified=false") == ["Plain French Actor"]
    assert names(client, "craft=ACTOR&country=fr&verified=FALSE") == ["Plain French Actor"], "case as with country"
    assert names(client, "country=FR&verified=true") == ["Verified French Actor", "Verified French Writer"]
    assert names(client, "craft=actor&verified=true") == ["Verified American Actor", "Verified French Actor"]
    assert names(client, "country=US&q=actor") == ["Verified American Actor"]
    assert names(client, "country=DE") == []


@pytest.mark.parametrize(
    "query", ["country=XX", "country=France", "verified=maybe", "country=%C3%89%C3%89", "verified=true&country=F"]
)
def test_a_bad_country_or_verified_value_is_a_clear_400(client, people, query):
    response = client.get(f"/api/v1/signatories/?{query}")
    assert response.status_code == 400
    assert "country" in response.json()["error"] or "verified" in response.json()["error"]
    page = client.get(f"/signatories/?{query}")
    assert page.status_code == 400 and 'role="alert"' in page.text
    assert client.get(f"/signatories.csv?{query}").status_code == 400


def test_page_links_keep_every_filter(client, signature_factory, admin_user, settings):
    settings.SIGNATORIES_PER_PAGE = 1
    made = signature_factory.create_batch(3, craft="director", country="IT")
    moderation.signature_verify(signature_ids=[s.pk for s in made], actor=admin_user, method="known_personally")
    page = client.get("/signatories/?craft=director&country=IT&verified=true&q=")
    assert "craft=director&amp;country=IT&amp;verified=true&amp;after=" in page.text
    api = client.get("/api/v1/signatories/?craft=director&country=IT&verified=true").json()
    assert "country=IT" in api["next"] and "verified=true" in api["next"]
    assert len(client.get(api["next"]).json()["results"]) == 1


def test_the_list_page_offers_the_country_and_verified_filters(client, people):
    page = client.get("/signatories/?country=FR&verified=true").text
    assert '<option value="FR" selected>' in page
    assert 'name="verified" value="true" checked' in page
    assert "notable-heading" not in page


def test_the_country_filter_speaks_the_readers_language(client, people):
    english = client.get("/signatories/").text
    french = client.get("/fr/signatories/?country=DE").text
    assert '<select name="country" id="country"><option value="" selected>All countries</option>' in english
    assert '<option value="">Tous les pays</option>' in french
    assert '<option value="DE" selected>Allemagne</option>' in french
    assert "Allemagne" not in english, "one language's menu never leaks into another's"
