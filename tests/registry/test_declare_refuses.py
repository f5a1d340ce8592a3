"""Bad input to the declaration: a clear error, nothing stored."""

import pytest

from coalition.registry.models import Declaration, DeclarationVersion, Place
from tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member_with_places(client, member):
    user, signature = member("nina@example.org", name="Nina Narrator", craft="podcaster")
    client.force_login(user)
    proven = PlaceFactory(signature=signature, url="https://nina.example/")
    unproven = PlaceFactory(signature=signature, url="https://other.example/", status="pending")
    return signature, proven, unproven


def post(client, committed, **fields):
    data = {
        "action": "declare",
        "training": "reserved",
        "training_scope": "all",
        "search": "allowed",
        "tdm": "reserved",
        "licensing_contact": "",
        **fields,
    }
    return committed(client.post, "/account/registry/", data)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"training": "maybe"}, "Select a valid choice"),
        ({"training_scope": "robots"}, "Select a valid choice"),
        ({"places": []}, "This field is required"),
        ({"training": "licensed", "licensing_contact": "javascript:alert(1)"}, "must be an http or https address"),
        ({"training": "licensed", "licensing_contact": "ftp://nina.example/"}, "must be an http or https address"),
        ({"training": "licensed", "licensing_contact": ""}, "needs a licensing contact"),
        ({"licensing_contact": "https://nina.example/" + "x" * 400}, "Ensure this value has at most 300 characters"),
    ],
)
def test_bad_declarations_are_refused_with_a_reason(client, committed, member_with_places, fields, message):
    _, proven, _ = member_with_places
    response = post(client, committed, **{"places": [str(proven.pk)], **fields})
    assert response.status_code == 400
    assert message in response.text
    assert not DeclarationVersion.objects.exists()
    assert not Declaration.objects.filter(version__gt=0).exists()


def test_a_place_not_proven_cannot_be_declared_for(client, committed, member_with_places):
    _, _, unproven = member_with_places
    response = post(client, committed, places=[str(unproven.pk)])
    assert response.status_code == 400 and "Select a valid choice" in response.text
    assert not DeclarationVersion.objects.exists()


def test_someone_elses_place_cannot_be_declared_for(client, committed, member, member_with_places):
    _, other_signature = member("other@example.org")
    theirs = PlaceFactory(signature=other_signature, url="https://theirs.example/")
    response = post(client, committed, places=[str(theirs.pk)])
    assert response.status_code == 400
    assert not DeclarationVersion.objects.exists()


@pytest.mark.parametrize(
    ("url", "method", "message"),
    [
        ("javascript:alert(1)", "page", "Give a full http or https address"),
        ("https://user:pw@nina.example/", "page", "user name or password"),
        ("https://nina.example/" + "a" * 600, "page", "at most 500 characters"),
        ("https://nina.example/", "carrier-pigeon", "Select a valid choice"),
        ("", "page", "This field is required"),
    ],
)
def test_bad_places_are_refused_with_a_reason(client, committed, member_with_places, url, method, message):
    before = Place.objects.count()
    response = committed(client.post, "/account/registry/", {"action": "add_place", "url": url, "method": method})
    assert response.status_code == 400 and message in response.text
    assert Place.objects.count() == before


def test_an_unknown_action_is_a_400(client, committed, member_with_places):
    response = committed(client.post, "/account/registry/", {"action": "explode"})
    assert response.status_code == 400


def test_a_member_without_a_confirmed_signature_is_told_to_sign_first(client, django_user_model):
    user = django_user_model.objects.create_user(username="x@example.org", email="x@example.org")
    client.force_login(user)
    response = client.get("/account/registry/")
    assert response.status_code == 200 and "Sign it, confirm by email" in response.text


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/account/registry/")
    assert response.status_code == 302 and "/accounts/login/code/" in response["Location"]


@pytest.mark.parametrize("domain", ["[::1]", "127.0.0.1", "localhost"])
def test_a_dns_proof_needs_a_domain_name(client, committed, member_with_places, domain):
    before = Place.objects.count()
    response = committed(client.post, "/account/registry/", {"action": "add_place", "url": domain, "method": "dns"})
    assert response.status_code == 400 and "domain name" in response.text
    assert Place.objects.count() == before


def test_the_last_place_of_a_published_declaration_cannot_be_removed(client, committed, member_with_places):
    _, proven, _ = member_with_places
    post(client, committed, places=[str(proven.pk)])
    response = committed(client.post, "/account/registry/", {"action": "remove_place", "place": proven.pk})
    assert response.status_code == 302
    assert Place.objects.filter(pk=proven.pk).exists()
    assert "covers only this place" in client.get("/account/registry/").text


@pytest.mark.parametrize(
    "query",
    [
        "url=http://%5B",
        "after=%C2%B2",
        "after=-1",
        "domain=a/b",
        "url=" + "x" * 2100,
        "domain=nodot",
        "url=http://a:99999/",
    ],
)
def test_hostile_lookups_are_400s_not_500s(client, query):
    for path in ("/registry/", "/api/v1/registry/declarations/"):
        assert client.get(f"{path}?{query}").status_code == 400, (path, query)


@pytest.mark.parametrize("public_id", ["%00", "ZZZZZZZZZZZZ", "abc", "0123456789abcdef0"])
def test_unknown_declaration_addresses_are_404s(client, public_id):
    assert client.get(f"/registry/{public_id}/").status_code == 404


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://a.example/\x01", "Give a full http or https address"),
        ("http://203.0.113.5/", "by its domain name"),
        ("https://a.example/x y", "Give a full http or https address"),
    ],
)
def test_places_that_are_no_public_address_are_refused(client, committed, member_with_places, url, message):
    before = Place.objects.count()
    response = committed(client.post, "/account/registry/", {"action": "add_place", "url": url, "method": "page"})
    assert response.status_code == 400 and message in response.text
    assert Place.objects.count() == before


@pytest.mark.parametrize("contact", ["https://user:pw@nina.example/licensing", "http://10.0.0.1/admin"])
def test_a_licensing_contact_with_credentials_or_a_bare_address_is_refused(
    client, committed, member_with_places, contact
):
    _, proven, _ = member_with_places
    response = post(client, committed, training="licensed", licensing_contact=contact, places=[str(proven.pk)])
    assert response.status_code == 400 and "by its domain name" in response.text
    assert not DeclarationVersion.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "https://ex\u202eelpmaxe.org/",  # a right-to-left override: reads as another address
        "https://zw.example/a\u200bb",  # a zero-width space
        "https://a.example:0/",
        "https://long.example/" + "é" * 470,  # short as typed, over the limit once percent-encoded
    ],
)
def test_addresses_that_read_as_another_or_overflow_are_refused(client, committed, member_with_places, url):
    before = Place.objects.count()
    response = committed(client.post, "/account/registry/", {"action": "add_place", "url": url, "method": "page"})
    assert response.status_code == 400
    assert Place.objects.count() == before


def test_the_same_place_spelt_differently_is_one_place(client, committed, member_with_places):
    before = Place.objects.count()
    response = committed(
        client.post, "/account/registry/", {"action": "add_place", "url": "HTTPS://NINA.EXAMPLE/#top", "method": "page"}
    )
    assert response.status_code == 400 and "already on your list" in response.text
    assert Place.objects.count() == before


@pytest.mark.parametrize("place_id", ["\uff17", "\u0661", " 1 ", "1_0"])
def test_place_ids_are_plain_digits(client, committed, member_with_places, place_id):
    response = committed(client.post, "/account/registry/", {"action": "remove_place", "place": place_id})
    assert response.status_code == 404
    assert Place.objects.count() == 2


def test_a_licensing_contact_with_a_right_to_left_override_is_refused(client, committed, member_with_places):
    _, proven, _ = member_with_places
    response = post(
        client,
        committed,
        training="licensed",
        licensing_contact="https://lic.example/\u202egpj.exe",
        places=[str(proven.pk)],
    )
    assert response.status_code == 400
    assert not DeclarationVersion.objects.exists()
