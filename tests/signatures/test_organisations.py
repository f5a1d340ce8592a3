import pytest
from django.contrib.auth import get_user_model

from coalition.signatures.models import AuditEvent, Organisation
from coalition.signatures.moderation import organisation_set_status

VALID = {
    "name": "Screen Actors Union",
    "kind": "union",
    "website": "https://www.actors-union.example.org/",
    "country": "GB",
    "contact_name": "Pat Organiser",
    "contact_email": "Pat@Actors-Union.example.org",
    "authority": "on",
}


@pytest.fixture
def organiser(db):
    return get_user_model().objects.create_superuser("boss", "boss@example.org", "a-long-passphrase-1")


def test_an_organisation_endorses_and_waits_for_an_organiser(client, letter):
    response = client.post("/organisations/endorse/", VALID)
    assert response.status_code == 200 and "Thank you" in response.text
    organisation = Organisation.objects.get()
    assert organisation.status == Organisation.Status.PENDING
    assert organisation.contact_email == "pat@actors-union.example.org"
    assert organisation.domain_matches, "contact address on the website's domain"
    assert "Screen Actors Union" not in client.get("/signatories/").text
    assert client.get("/api/v1/organisations/").json() == {"count": 0, "results": []}


def test_asking_twice_records_one_endorsement(client, letter):
    client.post("/organisations/endorse/", VALID)
    assert client.post("/organisations/endorse/", VALID).status_code == 200
    assert Organisation.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "required"),
        ({"kind": "cult"}, "Select a valid choice"),
        ({"website": "ftp://example.org"}, "valid URL"),
        ({"contact_email": "not-an-address"}, "valid email address"),
        ({"contact_email": "x@mailinator.com"}, "permanent email address"),
        ({"authority": ""}, "speak for the organisation"),
        ({"name": "Union\u202e"}, "invisible or control characters"),
    ],
)
def test_bad_endorsements_are_clear_errors_and_store_nothing(client, letter, overrides, message):
    response = client.post("/organisations/endorse/", {**VALID, **overrides})
    assert response.status_code == 400
    assert message in response.text
    assert not Organisation.objects.exists()


def test_a_verified_organisation_is_listed_in_its_own_section_and_the_api_without_contacts(client, letter, organiser):
    client.post("/organisations/endorse/", VALID)
    organisation = Organisation.objects.get()
    assert organisation_set_status(organisation_ids=[organisation.pk], status="verified", actor=organiser) == [
        organisation.pk
    ]
    page = client.get("/signatories/")
    assert 'id="organisations-heading"' in page.text and "Screen Actors Union" in page.text
    body = client.get("/api/v1/organisations/").json()
    assert body["count"] == 1
    assert body["results"][0]["name"] == "Screen Actors Union" and body["results"][0]["kind"] == "union"
    for public in (page.text, str(body)):
        assert "Pat" not in public and "pat@" not in public.lower()
    event = AuditEvent.objects.get(action=AuditEvent.Action.ORGANISATION)
    assert event.actor == organiser and event.to_status == "verified"


def test_organisers_verify_from_the_admin_queue(client, letter, organiser):
    client.post("/organisations/endorse/", VALID)
    organisation = Organisation.objects.get()
    client.force_login(organiser)
    queue = client.get("/admin/signatures/organisation/")
    assert queue.status_code == 200 and "Screen Actors Union" in queue.text
    response = client.post(
        "/admin/signatures/organisation/", {"action": "verify", "_selected_action": [organisation.pk]}
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.status == "verified" and organisation.verified_by == organiser
    assert client.get("/admin/signatures/organisation/?status=nonsense").status_code == 200
