"""The public side: listed only when the signature is public, hidden by organisers (audited), bulk downloads,
French pages, nothing private."""

import json

import pytest
from django.contrib.auth.models import Permission

from coalition.accounts.services import member_delete
from coalition.registry.models import Declaration, DeclarationAudit, Place
from tests.factories import PlaceFactory
from tests.registry.conftest import declare_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(member, django_capture_on_commit_callbacks):
    def _make(email="mo@example.org", name="Mo Musician", craft="musician", **stances):
        user, signature = member(email, name=name, craft=craft)
        place = PlaceFactory(signature=signature, url=f"https://{email.split('@')[0]}.example/")
        return user, signature, declare_for(signature, [place], **stances)

    return _make


def test_a_declaration_of_a_signature_not_on_the_public_list_is_not_published(client, published):
    _, signature, declaration = published()
    signature.public = False
    signature.save()
    assert client.get(f"/registry/{declaration.public_id}/").status_code == 404
    assert client.get(f"/registry/{declaration.public_id}.json").status_code == 404
    assert client.get("/api/v1/registry/declarations/").json()["results"] == []
    assert "mo.example" not in client.get("/registry/declarations.csv").getvalue().decode()


def test_filters_by_craft_and_stance_and_refuses_unknown_ones(client, published):
    published()
    published("lu@example.org", name="Lu Lens", craft="director", training="allowed")
    api = "/api/v1/registry/declarations/"
    assert [d["name"] for d in client.get(api, {"craft": "director"}).json()["results"]] == ["Lu Lens"]
    assert [d["name"] for d in client.get(api, {"training": "reserved"}).json()["results"]] == ["Mo Musician"]
    for bad in ({"craft": "wizard"}, {"training": "perhaps"}, {"url": "javascript:alert(1)"}, {"after": "x"}):
        response = client.get(api, bad)
        assert response.status_code == 400 and response.json()["error"]
    schema = client.get("/api/v1/registry/schema/").json()
    assert "/api/v1/registry/declarations/" in schema["paths"]


def test_bulk_downloads_stream_every_published_declaration_without_private_data(client, published):
    published()
    published(
        "lu@example.org",
        name="Lu Lens",
        craft="director",
        training="licensed",
        licensing_contact="rights@lu.example",
        contact_public=False,
    )
    jsonl = client.get("/registry/declarations.jsonl")
    assert jsonl.streaming
    rows = [json.loads(line) for line in jsonl.getvalue().decode().splitlines()]
    assert sorted(r["name"] for r in rows) == ["Lu Lens", "Mo Musician"]
    csv_text = client.get("/registry/declarations.csv").getvalue().decode()
    assert csv_text.splitlines()[0].startswith("id,url,name,craft")
    for text in (jsonl.getvalue().decode(), csv_text):
        assert "@example.org" not in text and "rights@lu.example" not in text


def test_organisers_hide_an_abusive_declaration_with_a_reason_and_it_is_audited(client, published, organiser):
    _, _, declaration = published()
    organiser.user_permissions.add(Permission.objects.get(codename="hide_declaration"))
    client.force_login(organiser)
    changelist = "/admin/registry/declaration/"
    page = client.get(changelist)
    assert page.status_code == 200 and "1 published declaration" in page.text
    no_reason = client.post(changelist, {"action": "hide", "_selected_action": [declaration.pk], "reason": ""})
    assert no_reason.status_code == 302
    assert Declaration.objects.get().hidden_at is None
    client.post(changelist, {"action": "hide", "_selected_action": [declaration.pk], "reason": "impersonation"})
    assert Declaration.objects.get().hidden_at is not None
    audit = DeclarationAudit.objects.get()
    assert (audit.actor, audit.action, audit.reason) == (organiser, "hide", "impersonation")
    client.logout()
    assert client.get(f"/registry/{declaration.public_id}/").status_code == 404
    assert client.get("/api/v1/registry/declarations/").json()["results"] == []


def test_an_organiser_cannot_edit_a_declaration(client, published, organiser):
    _, _, declaration = published()
    client.force_login(organiser)
    response = client.post(f"/admin/registry/declaration/{declaration.pk}/change/", {"training": "allowed"})
    assert response.status_code == 403
    assert Declaration.objects.get().training == "reserved"


def test_closing_the_account_erases_the_declaration_and_places(client, published):
    user, _, declaration = published()
    member_delete(user=user)
    assert not Declaration.objects.exists() and not Place.objects.exists()
    assert client.get(f"/registry/{declaration.public_id}/").status_code == 404


def test_the_registry_speaks_french(client, published):
    _, _, declaration = published()
    index = client.get("/fr/registry/")
    assert index.status_code == 200 and "Registre du consentement" in index.text
    page = client.get(f"/fr/registry/{declaration.public_id}/")
    assert "Réservé (non)" in page.text and "Entraînement de l’IA" in page.text


def test_the_counter_is_on_the_letter_and_press_pages(client, published):
    published()
    published("lu@example.org", name="Lu Lens", craft="director", training="allowed")
    for path in ("/", "/press/"):
        assert "1 creator reserves AI training over 1 channel." in client.get(path).text


def test_a_place_added_without_a_declaration_publishes_nothing(client, member, committed, local_web):
    user, _ = member("draft@example.org", name="Dee Draft")
    client.force_login(user)
    committed(client.post, "/account/registry/", {"action": "add_place", "url": local_web.url(), "method": "page"})
    client.logout()
    assert Declaration.objects.count() == 1  # the address a rel="me" link points to, kept unpublished
    assert client.get("/api/v1/registry/declarations/").json()["results"] == []
    assert "Dee Draft" not in client.get("/registry/declarations.jsonl").getvalue().decode()
    assert "0 creators reserve AI training" in client.get("/registry/").text
    assert client.get(f"/registry/{Declaration.objects.get().public_id}/").status_code == 404


@pytest.mark.parametrize(
    ("place_url", "method", "covered", "not_covered"),
    [
        (
            "https://www.youtube.com/watch?v=AAA",
            "page",
            "https://youtube.com/watch?v=AAA",
            "https://youtube.com/watch?v=BBB",
        ),
        ("https://blog.example/?p=12", "page", "https://blog.example/?p=12", "https://blog.example/about"),
        ("https://site.example/", "page", "https://site.example/any/page", "https://sub.site.example/"),
        ("https://site.example/", "dns", "https://sub.site.example/page", "https://othersite.example/"),
        (
            "https://www.youtube.com/@vera",
            "page",
            "https://youtube.com/@vera/videos",
            "https://youtube.com/@vera/../@other",
        ),
        ("https://bücher.example/", "page", "https://xn--bcher-kva.example/", "https://buecher.example/"),
    ],
)
def test_what_a_place_covers(client, published, place_url, method, covered, not_covered):
    _, signature, declaration = published()
    PlaceFactory(signature=signature, url=place_url, method=method)
    declaration.places.set(signature.registry_places.all())
    api = "/api/v1/registry/declarations/"
    assert client.get(api, {"url": covered}).json()["results"], covered
    assert not client.get(api, {"url": not_covered}).json()["results"], not_covered


def test_a_creator_with_platform_places_only_gets_no_verdict_on_a_site_they_do_not_run(client, published):
    from coalition.registry.checks import site_check

    _, signature, declaration = published()
    youtube = PlaceFactory(signature=signature, url="https://www.youtube.com/@mo")
    declaration.places.set([youtube])
    assert site_check(declaration_id=declaration.pk) == "no site"
    data = client.get(f"/registry/{declaration.public_id}.json").json()
    assert data["site_says_it"] is None
    assert "their site" not in client.get(f"/registry/{declaration.public_id}/").text


def test_a_declaration_whose_first_check_never_ran_is_due(published):
    from coalition.registry.checks import sites_due

    _, _, declaration = published()
    Declaration.objects.update(site_checked_at=None)
    assert sites_due() == [declaration.pk]


@pytest.mark.parametrize(
    ("place_url", "covered", "not_covered"),
    [
        ("https://shared.example:8443/", "https://shared.example:8443/page", "https://shared.example/page"),
        ("https://uni.example/~vera/caf%C3%A9/", "https://uni.example/~vera/café/x", "https://uni.example/~vera/"),
    ],
)
def test_ports_and_spellings_of_a_path(client, published, place_url, covered, not_covered):
    _, signature, declaration = published()
    declaration.places.add(PlaceFactory(signature=signature, url=place_url))
    api = "/api/v1/registry/declarations/"
    assert client.get(api, {"url": covered}).json()["results"], covered
    assert not client.get(api, {"url": not_covered}).json()["results"], not_covered


def test_the_same_declaration_sent_twice_is_one_version(published):
    from tests.registry.conftest import declare_for

    _, signature, declaration = published()
    again = declare_for(signature, list(declaration.places.all()))
    assert again.version == 1 and declaration.versions.count() == 1


def test_the_member_is_told_when_organisers_hide_their_declaration(client, published, organiser):
    from coalition.registry.services import declaration_hide

    user, _, declaration = published()
    declaration_hide(declaration_ids=[declaration.pk], actor=organiser, reason="impersonation")
    client.force_login(user)
    assert "taken your declaration off the public registry" in client.get("/account/registry/").text


def test_the_organisers_figures_are_in_words(client, published, organiser):
    published()
    client.force_login(organiser)
    page = client.get("/admin/registry/declaration/")
    figures = page.text.split("registry-figures", 1)[1].split("</div>", 1)[0]
    assert "Musician" in figures and "Reserved (no)" in figures and "AI training" in figures
    assert "musician" not in figures and "reserved" not in figures


def test_a_bare_domain_typed_in_the_lookup_box_finds_every_place_on_it(client, published):
    _, signature, declaration = published()
    declaration.places.add(PlaceFactory(signature=signature, url="https://video.example/@mo"))
    page = client.get("/registry/", {"url": "video.example"})
    assert page.status_code == 200 and "Mo Musician" in page.text
    assert "No declaration covers" in client.get("/registry/", {"url": "elsewhere.example"}).text
