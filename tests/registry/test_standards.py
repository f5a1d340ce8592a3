"""What we generate, read back the way the specs say a reader reads it (and against the specs' own examples)."""

import json

import http_sf
import pytest
from protego import Protego

from coalition.registry import checks, standards
from coalition.registry.models import Stance

RESERVE_TRAINING = {"training": Stance.RESERVED, "search": Stance.ALLOWED, "tdm": Stance.RESERVED}
ALLOW_ALL = {"training": Stance.ALLOWED, "search": Stance.ALLOWED, "tdm": Stance.ALLOWED}
LICENSED = {"training": Stance.LICENSED, "search": Stance.RESERVED, "tdm": Stance.ALLOWED}


def test_content_usage_is_a_structured_dictionary_of_the_drafts_labels():
    # draft-ietf-aipref-vocab-08 §6: a Dictionary whose values are the Tokens y or n; its example parses the same way.
    for example, expected in (("train-ai=y, search=n", {"train-ai": "y", "search": "n"}),):
        assert checks._content_usage_prefs(example) == expected
    value = standards.content_usage(RESERVE_TRAINING)
    parsed = http_sf.parse(value.encode(), tltype="dictionary")
    assert {k: str(v) for k, (v, _params) in parsed.items()} == {"train-ai": "n", "search": "y"}
    assert all(isinstance(v, http_sf.Token) for v, _params in parsed.values())
    assert standards.content_usage(ALLOW_ALL) == "train-ai=y, search=y"
    assert standards.content_usage(LICENSED) == "train-ai=n, search=n"


def test_values_that_are_not_tokens_are_unknown_as_the_draft_says():
    # The draft's own example: every preference here is unknown.
    assert checks._content_usage_prefs('train-ai=y, train-ai, search=n, search="n"') == {}


def test_the_tdmrep_file_has_the_specs_shape():
    # TDMRep: an array of rules, each with location and tdm-reservation (1 or 0), tdm-policy optional.
    spec_example = json.loads('[{"location": "/", "tdm-reservation": 1}]')
    generated = standards.tdmrep_json(RESERVE_TRAINING)
    assert generated == spec_example
    with_policy = standards.tdmrep_json(LICENSED, policy_url="https://coalition.example/registry/x/tdm-policy.json")
    assert with_policy == [
        {"location": "/", "tdm-reservation": 1, "tdm-policy": "https://coalition.example/registry/x/tdm-policy.json"}
    ]
    assert standards.tdmrep_json(ALLOW_ALL) == [{"location": "/", "tdm-reservation": 0}]
    assert checks._tdmrep_file_reservation(json.dumps(with_policy)) == 1


def test_the_tdm_policy_is_an_odrl_offer_in_the_tdmrep_profile():
    policy = standards.tdm_policy(
        uid="https://coalition.example/registry/x/tdm-policy.json",
        assigner_url="https://coalition.example/registry/x/",
        name="Vera Vlogger",
        contact="rights@vera.example",
        stances=LICENSED,
    )
    assert policy["@context"] == ["http://www.w3.org/ns/odrl.jsonld", {"tdm": "http://www.w3.org/ns/tdmrep#"}]
    assert policy["@type"] == "Offer" and policy["profile"] == "http://www.w3.org/ns/tdmrep"
    assert policy["assigner"]["vcard:hasEmail"] == "mailto:rights@vera.example"
    assert policy["permission"] == [{"action": "tdm:mine", "duty": [{"action": "obtainConsent"}]}]


@pytest.mark.parametrize("stances", [RESERVE_TRAINING, LICENSED, ALLOW_ALL])
def test_the_robots_block_refuses_exactly_the_crawlers_the_stance_refuses(stances):
    text = standards.robots_block(stances)
    robots = Protego.parse(text)
    blocked = {token for tokens in standards.blocked_crawlers(stances).values() for token in tokens}
    for crawler in standards.crawler_list()["crawlers"]:
        assert robots.can_fetch("https://site.example/page", crawler["token"]) is (crawler["token"] not in blocked)
    # Search engines' own crawlers are never touched.
    assert robots.can_fetch("https://site.example/", "Googlebot")
    # draft-ietf-aipref-attach: a Content-Usage rule with a path, then the preference.
    assert f"Content-Usage: / {standards.content_usage(stances)}" in text.splitlines()
    assert checks._robots_content_usage(text) == checks._content_usage_prefs(standards.content_usage(stances))


def test_the_robots_content_usage_reader_follows_the_attach_drafts_example():
    example = (
        "User-Agent: *\nAllow: /\nDisallow: /never/\nContent-Usage: train-ai=n\nContent-Usage: /ai-ok/ train-ai=y\n"
    )
    assert checks._robots_content_usage(example) == {"train-ai": "n"}


def test_the_crawler_list_is_dated_and_names_the_well_known_ai_crawlers():
    data = standards.crawler_list()
    assert data["checked_on"]
    tokens = {c["token"] for c in data["crawlers"]}
    assert {"GPTBot", "ClaudeBot", "CCBot", "Google-Extended", "Applebot-Extended", "PerplexityBot"} <= tokens
    assert {"Bytespider", "meta-externalagent"} <= tokens
    assert {c["purpose"] for c in data["crawlers"]} <= set(data["purposes"])


@pytest.mark.django_db
def test_the_coalitions_own_site_says_its_reservation_the_same_ways(client):
    robots = client.get("/robots.txt")
    assert robots.status_code == 200 and robots["Content-Type"].startswith("text/plain")
    assert not Protego.parse(robots.text).can_fetch("http://testserver/", "GPTBot")
    assert Protego.parse(robots.text).can_fetch("http://testserver/", "Googlebot")
    assert client.get("/.well-known/tdmrep.json").json() == [{"location": "/", "tdm-reservation": 1}]
    home = client.get("/")
    assert home["tdm-reservation"] == "1"
    assert home["Content-Usage"] == "train-ai=n, search=y"
    assert '<meta name="tdm-reservation" content="1">' in home.text


def test_the_robots_block_added_to_a_site_that_refuses_everyone_unblocks_nobody():
    before = "User-agent: *\nDisallow: /\n"
    after = before + "\n" + standards.robots_block(ALLOW_ALL)
    for agent in ("SomeBot", "GPTBot", "Googlebot"):
        assert Protego.parse(before).can_fetch("https://site.example/x", agent) is False
        assert Protego.parse(after).can_fetch("https://site.example/x", agent) is False


def test_generative_only_training_is_said_by_content_usage_not_by_a_whole_tdm_reservation():
    generative = {**RESERVE_TRAINING, "tdm": Stance.ALLOWED, "training_scope": "generative"}
    assert standards.content_usage(generative) == "train-ai=n, search=y"
    # TDMRep cannot say "generative only": it is left unset rather than "0", which would mean "mine freely".
    assert standards.tdm_reservation(generative) is None
    assert standards.tdmrep_json(generative) == []
    assert "tdm-reservation" not in standards.http_headers(generative)
    assert standards.tdm_reservation({**generative, "training_scope": "all"}) == 1


def test_a_licensing_policy_is_offered_only_for_uses_licensed_on_request():
    url = "https://coalition.example/registry/x/tdm-policy.json"
    both_licensed = {"training": Stance.LICENSED, "search": Stance.ALLOWED, "tdm": Stance.LICENSED}
    mining_reserved = {**both_licensed, "tdm": Stance.RESERVED}
    assert standards.tdm_policy_wanted(both_licensed)
    assert standards.tdmrep_json(both_licensed, policy_url=url)[0]["tdm-policy"] == url
    # Training licensed but other mining reserved outright: an offer to license mining would contradict that.
    assert not standards.tdm_policy_wanted(mining_reserved)
    assert "tdm-policy" not in standards.tdmrep_json(mining_reserved, policy_url=url)[0]


@pytest.mark.django_db
def test_the_coalitions_robots_txt_is_one_file_whatever_the_crawlers_language(client):
    english = client.get("/robots.txt").content
    assert client.get("/robots.txt", headers={"Accept-Language": "fr"}).content == english
    assert b"AI training crawlers" in english


@pytest.mark.django_db
def test_a_french_member_gets_the_robots_block_commented_in_french(client, member):
    from tests.factories import PlaceFactory
    from tests.registry.conftest import declare_for

    _, signature = member("fr@example.org", name="Aline")
    declaration = declare_for(signature, [PlaceFactory(signature=signature)])
    french = client.get(f"/fr/registry/{declaration.public_id}/robots.txt").text
    assert "# Robots d’entraînement d’IA" in french and "User-agent: GPTBot" in french


def test_content_usage_statements_combine_as_the_vocabulary_says():
    # Any "n" wins, whichever comes first.
    assert checks.combine({"train-ai": "y"}, {"train-ai": "n"}) == {"train-ai": "n"}
    assert checks.combine({"train-ai": "n"}, {"train-ai": "y", "search": "y"}) == {"train-ai": "n", "search": "y"}
    # Rules belong to their group: one in a named crawler's group says nothing about the others.
    text = "User-agent: SomeBot\nContent-Usage: train-ai=n\n\nUser-agent: *\nDisallow:\n"
    assert checks._robots_content_usage(text) == {}
    assert checks._robots_content_usage(text, agent="SomeBot") == {"train-ai": "n"}
    # Every group of the generated block says the preference, for crawlers that read only their own group.
    block = standards.robots_block(RESERVE_TRAINING)
    assert checks._robots_content_usage(block, agent="GPTBot") == {"train-ai": "n", "search": "y"}
