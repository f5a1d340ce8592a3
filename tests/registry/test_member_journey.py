"""A member proves a place, declares, copies the files for their site and sees whether the site says it."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from coalition.registry import checks, proofs, standards
from coalition.registry.models import Declaration, DeclarationVersion, Place
from tests.factories import PlaceFactory
from tests.registry.conftest import declare_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def creator(client, member):
    user, signature = member("vera@example.org", name="Vera Vlogger", craft="youtuber")
    client.force_login(user)
    return signature


def add_place(client, committed, url, method="page"):
    return committed(client.post, "/account/registry/", {"action": "add_place", "url": url, "method": method})


def declare(client, committed, places, **stances):
    data = {
        "action": "declare",
        "training": "reserved",
        "training_scope": "all",
        "search": "allowed",
        "tdm": "reserved",
        "licensing_contact": "",
        "places": [str(p.pk) for p in places],
        **stances,
    }
    return committed(client.post, "/account/registry/", data)


def earlier(place):
    """The member comes back later (the button checks at most once a minute)."""
    Place.objects.filter(pk=place.pk).update(checked_at=timezone.now() - timedelta(hours=1))


@pytest.fixture
def proven_site(client, creator, committed, local_web):
    """Vera's own site, proven with the token on its home page."""
    local_web.serve("/", "<html><body>Welcome</body></html>")
    add_place(client, committed, local_web.url())
    place = Place.objects.get()
    local_web.serve("/", f"<html><body>Welcome. {place.token}</body></html>")
    earlier(place)
    committed(client.post, "/account/registry/", {"action": "check_place", "place": place.pk})
    place.refresh_from_db()
    return place


def test_a_member_proves_their_site_declares_and_everyone_can_look_it_up(client, creator, committed, proven_site):
    assert proven_site.status == Place.Status.VERIFIED
    page = client.get("/account/registry/")
    assert "Proven" in page.text

    response = declare(client, committed, [proven_site])
    assert response.status_code == 302
    declaration = Declaration.objects.get()
    assert declaration.version == 1 and declaration.training == "reserved"

    public = client.get(f"/registry/{declaration.public_id}/")
    assert public.status_code == 200
    assert "Vera Vlogger" in public.text and "Reserved (no)" in public.text and proven_site.url in public.text
    assert "vera@example.org" not in public.text

    data = client.get(f"/registry/{declaration.public_id}.json").json()
    assert data["training"] == "reserved" and data["version"] == 1
    assert data["places"][0]["verified"] is True
    assert data["content_usage"] == "train-ai=n, search=y"
    assert data["tdm_reservation"] == 1

    # Any page of the site finds the declaration, and only pages of it.
    found = client.get("/api/v1/registry/declarations/", {"url": proven_site.url.rstrip("/") + "/videos/1"}).json()
    assert [d["id"] for d in found["results"]] == [declaration.public_id]
    other = client.get("/api/v1/registry/declarations/", {"url": "https://elsewhere.example/"}).json()
    assert other["results"] == []

    counter = client.get("/registry/")
    assert "1 creator reserves AI training over 1 channel." in counter.text


def test_the_member_page_offers_the_files_for_their_site(client, creator, committed, proven_site):
    declare(
        client,
        committed,
        [proven_site],
        training="licensed",
        tdm="licensed",
        licensing_contact="https://vera.example/licensing",
    )
    declaration = Declaration.objects.get()
    page = client.get("/account/registry/").text
    snippets = standards.snippets(declaration)
    for text in (snippets["robots_txt"].splitlines()[3], "tdm-reservation", "Content-Usage: train-ai=n"):
        assert text in page.replace("&quot;", '"')
    policy_url = f"/registry/{declaration.public_id}/tdm-policy.json"
    assert policy_url in page
    policy = client.get(policy_url).json()
    assert policy["permission"][0]["action"] == "tdm:mine"
    # The contact stays private unless the member chose to show it.
    assert "vera.example" not in json.dumps(policy)
    assert client.get(f"/registry/{declaration.public_id}.json").json()["licensing_contact"] == ""


def test_the_site_check_says_what_is_missing_then_that_the_site_says_it(
    client, creator, committed, proven_site, local_web
):
    declare(client, committed, [proven_site])
    declaration = Declaration.objects.get()
    check = declaration.site_check if declaration.refresh_from_db() is None else None
    assert check["ok"] is False
    [site] = check["sites"]
    statuses = {item["file"]: item["status"] for item in site["items"]}
    assert statuses["robots.txt"] == "missing" and statuses["tdmrep"] == "missing"
    gptbot = next(c for c in site["crawlers"] if c["token"] == "GPTBot")
    assert gptbot == {"token": "GPTBot", "purpose": "training", "expected_refused": True, "refused": False}
    page = client.get("/account/registry/").text
    assert "Not yet: your site does not say everything you declared." in page

    # The member copies what the page offers to their site.
    snippets = standards.snippets(declaration)
    local_web.serve("/robots.txt", snippets["robots_txt"], headers={"Content-Type": "text/plain"})
    local_web.serve("/.well-known/tdmrep.json", snippets["tdmrep_json"], headers={"Content-Type": "application/json"})
    assert checks.site_check(declaration_id=declaration.pk) == "ok"
    assert "Yes: your site says what you declared." in client.get("/account/registry/").text
    assert "their site says it" in client.get(f"/registry/{declaration.public_id}/").text
    assert client.get(f"/registry/{declaration.public_id}.json").json()["site_says_it"] is True


def test_a_site_that_allows_what_was_reserved_is_told_so_per_crawler(
    client, creator, committed, proven_site, local_web
):
    local_web.serve("/robots.txt", "User-agent: *\nAllow: /\n", headers={"Content-Type": "text/plain"})
    local_web.serve("/", "<html><head><meta name='tdm-reservation' content='0'></head></html>")
    declare(client, committed, [proven_site])
    declaration = Declaration.objects.get()
    [site] = declaration.site_check["sites"]
    statuses = {item["file"]: item["status"] for item in site["items"]}
    assert statuses["tdmrep"] == "contradicts"
    robots = next(item for item in site["items"] if item["file"] == "robots.txt")
    assert robots["status"] == "missing" and "GPTBot" in robots["crawlers"] and "ClaudeBot" in robots["crawlers"]


def test_a_declaration_changes_and_withdraws_with_every_version_kept(client, creator, committed, proven_site):
    declare(client, committed, [proven_site])
    declare(client, committed, [proven_site], search="reserved")
    declaration = Declaration.objects.get()
    assert declaration.version == 2 and declaration.search == "reserved"
    response = committed(client.post, "/account/registry/", {"action": "withdraw"})
    assert response.status_code == 302
    versions = list(DeclarationVersion.objects.order_by("number").values_list("number", "search", "withdrawn"))
    assert versions == [(1, "allowed", False), (2, "reserved", False), (3, "", True)]
    assert client.get(f"/registry/{declaration.public_id}/").status_code == 410
    assert client.get("/api/v1/registry/declarations/").json()["results"] == []
    # Declared again later: the same address, a new version.
    declare(client, committed, [proven_site])
    assert client.get(f"/registry/{declaration.public_id}/").status_code == 200
    assert Declaration.objects.get().version == 4


def test_a_channel_proven_on_the_signature_page_becomes_a_place_in_one_click(client, creator, committed):
    from coalition.signatures.models import ChannelProof

    ChannelProof.objects.create(
        signature=creator,
        url="https://www.youtube.com/@vera",
        token="creators-coalition-verify-vera",
        status=ChannelProof.Status.VERIFIED,
        verified_at=timezone.now(),
        checked_at=timezone.now(),
    )
    page = client.get("/account/registry/")
    assert "You already proved https://www.youtube.com/@vera on your signature page." in page.text
    committed(client.post, "/account/registry/", {"action": "use_channel"})
    place = Place.objects.get()
    assert (place.url, place.host, place.status) == ("https://www.youtube.com/@vera", "youtube.com", "verified")
    assert "You already proved" not in client.get("/account/registry/").text
    again = committed(client.post, "/account/registry/", {"action": "use_channel"})
    assert again.status_code == 302 and Place.objects.count() == 1
    # A channel page covers what is below it on the platform, and nothing else there.
    declare(client, committed, [place])
    api = "/api/v1/registry/declarations/"
    assert client.get(api, {"url": "https://youtube.com/@vera/videos"}).json()["results"]
    assert not client.get(api, {"url": "https://www.youtube.com/@someone-else"}).json()["results"]


def test_a_url_lookup_pages_through_every_declaration_on_a_host(client, member, settings):
    from coalition.registry import selectors

    settings.DEBUG = False
    for i in range(selectors.PAGE_SIZE + 5):
        _, signature = member(f"m{i}@example.org", name=f"Member {i}")
        place = PlaceFactory(
            signature=signature,
            url=f"https://platform.example/@m{i}" if i % 2 else f"https://platform.example/shared/m{i}",
        )
        declare_for(signature, [place])
    # Pages of the shared area are covered by the members whose place is there: every even one.
    seen, url = [], "/api/v1/registry/declarations/?url=https://platform.example/shared/m0/episode"
    while url:
        page = client.get(url).json()
        seen += [d["name"] for d in page["results"]]
        url = page["next"]
    assert seen == ["Member 0"]
    seen, url = [], "/api/v1/registry/declarations/?domain=platform.example"
    while url:
        page = client.get(url).json()
        seen += [d["name"] for d in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == selectors.PAGE_SIZE + 5


def test_a_site_read_in_part_gets_no_verdict(client, creator, committed, proven_site, local_web):
    from coalition.signatures.channel import FetchFailed

    declare(client, committed, [proven_site])
    declaration = Declaration.objects.get()
    real = proofs.default_fetch

    def flaky(url):
        if url.endswith("/robots.txt"):
            return real(url)
        raise FetchFailed("timeout")

    assert checks.site_check(declaration_id=declaration.pk, fetch=flaky) == "unreachable"
    declaration.refresh_from_db()
    assert declaration.site_check["ok"] is None
    assert "their site" not in client.get(f"/registry/{declaration.public_id}/").text


def test_a_page_below_a_sites_root_does_not_get_the_whole_site_judged(client, creator, committed, local_web):
    page = PlaceFactory(signature=creator, url=local_web.url("uni.test", "/~vera/"))
    declare(client, committed, [page])
    declaration = Declaration.objects.get()
    assert declaration.site_check["sites"] == []
    assert ("uni.test", "/robots.txt") not in local_web.asked
