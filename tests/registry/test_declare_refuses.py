"""Bad input to the declaration: a clear error, nothing stored."""

import pytest

from coalition.registry.models import Declaration, DeclarationVersion, Place

pytestmark = pytest.mark.django_db


@pytest.fixture
def member_with_places(client, member):
    user, signature = member("nina@example.org", name="Nina Narrator", craft="podcaster")
    client.force_login(user)
    proven = Place.objects.create(
        signature=signature, url="https://nina.example/", host="nina.example", token="t1", status="verified"
    )
    unproven = Place.objects.create(signature=signature, url="https://other.example/", host="other.example", token="t2")
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
    theirs = Place.objects.create(
        signature=other_signature, url="https://theirs.example/", host="theirs.example", token="t3", status="verified"
    )
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
