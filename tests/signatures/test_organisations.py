import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from coalition.signatures.models import AuditEvent, Organisation
from coalition.signatures.moderation import organisation_set_status
from tests.factories import OrganisationFactory

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
    assert client.get("/api/v1/organisations/").json() == {"count": 0, "next": None, "results": []}


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
        ({"name": "\u3164"}, "invisible or control characters"),
        ({"website": "https://gu\u200bild.example.org"}, "invisible or control characters"),
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


def _endorse(client, django_capture_on_commit_callbacks, **overrides):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post("/organisations/endorse/", {**VALID, **overrides})


def _link_path(mail):
    return "/" + mail.body.split(f"{settings.SITE_URL}/", 1)[1].split()[0]


def test_the_contact_gets_a_link_and_only_pressing_its_button_confirms_the_address(
    client, letter, mailoutbox, django_capture_on_commit_callbacks
):
    _endorse(client, django_capture_on_commit_callbacks)
    [mail] = mailoutbox
    assert mail.to == ["pat@actors-union.example.org"]
    assert "Screen Actors Union" in mail.body
    path = _link_path(mail)
    assert path.startswith("/organisations/confirm/")
    page = client.get(path)  # what a mail scanner does
    assert page.status_code == 200 and "Confirm the endorsement" in page.text
    assert Organisation.objects.get().contact_confirmed_at is None
    done = client.post(path)
    assert done.status_code == 200 and "your address is confirmed" in done.text
    organisation = Organisation.objects.get()
    assert organisation.contact_confirmed_at is not None
    assert organisation.status == Organisation.Status.PENDING, "an organiser still decides"
    assert client.get(path).status_code == 410
    assert "already confirmed" in client.post(path).text


def test_a_confirmed_contact_is_not_mailed_again_and_an_unconfirmed_one_is(
    client, letter, mailoutbox, django_capture_on_commit_callbacks
):
    _endorse(client, django_capture_on_commit_callbacks)
    _endorse(client, django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 2, "the first link may have been lost"
    client.post(_link_path(mailoutbox[-1]))
    _endorse(client, django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 2
    assert Organisation.objects.count() == 1


@pytest.mark.parametrize("token", ["not-a-token", "x" * 300, "%00"])
def test_an_unknown_link_is_a_clear_404(client, letter, token):
    response = client.get(f"/organisations/confirm/{token}/")
    assert response.status_code == 404
    assert "We do not recognise this link" in response.text
    assert client.post(f"/organisations/confirm/{token}/").status_code == 404


def test_an_expired_link_is_a_clear_410(client, letter, mailoutbox, settings, django_capture_on_commit_callbacks):
    from datetime import timedelta

    _endorse(client, django_capture_on_commit_callbacks)
    settings.SIGNATURE_TOKEN_TTL = timedelta(seconds=-1)
    response = client.post(_link_path(mailoutbox[0]))
    assert response.status_code == 410 and "expired" in response.text
    assert Organisation.objects.get().contact_confirmed_at is None


def test_a_second_mail_does_not_spoil_the_link_of_the_first(
    client, letter, mailoutbox, django_capture_on_commit_callbacks
):
    _endorse(client, django_capture_on_commit_callbacks)
    _endorse(client, django_capture_on_commit_callbacks)
    first, second = (_link_path(mail) for mail in mailoutbox)
    assert client.get(second).status_code == 200
    assert client.post(first).status_code == 200, "the first link still confirms"
    assert Organisation.objects.get().contact_confirmed_at is not None


def test_new_names_do_not_get_a_stranger_more_mails_than_the_daily_cap(
    letter, mailoutbox, settings, django_capture_on_commit_callbacks
):
    from django.test import Client

    settings.MAIL_MAX_PER_ADDRESS_PER_DAY = 3
    for n in range(6):
        stranger = Client(REMOTE_ADDR=f"10.0.1.{n}")
        with django_capture_on_commit_callbacks(execute=True):
            response = stranger.post("/organisations/endorse/", {**VALID, "name": f"Union number {n}"})
        assert response.status_code == 200
    assert len(mailoutbox) == 3
    assert all(mail.subject == mailoutbox[0].subject for mail in mailoutbox), "a fixed subject, not a typed name"
    assert "Union number" not in mailoutbox[0].subject


def test_a_rejected_organisation_asking_again_gets_no_mail(
    client, letter, organiser, mailoutbox, django_capture_on_commit_callbacks
):
    _endorse(client, django_capture_on_commit_callbacks)
    organisation_set_status(
        organisation_ids=[Organisation.objects.get().pk], status=Organisation.Status.REJECTED, actor=organiser
    )
    _endorse(client, django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1
    assert client.post(_link_path(mailoutbox[0])).status_code == 404


def test_endorsements_whose_contact_never_confirmed_are_deleted_after_the_retention_period(
    client, letter, mailoutbox, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from coalition.signatures.tasks import purge_unconfirmed_signatures

    _endorse(client, django_capture_on_commit_callbacks)
    _endorse(client, django_capture_on_commit_callbacks, name="Confirmed Guild")
    client.post(_link_path(mailoutbox[-1]))
    Organisation.objects.update(created_at=timezone.now() - settings.UNCONFIRMED_RETENTION - timedelta(days=1))
    purge_unconfirmed_signatures.apply()
    assert list(Organisation.objects.values_list("name", flat=True)) == ["Confirmed Guild"]


def test_the_admin_shows_who_confirmed_and_warns_when_verifying_an_unconfirmed_contact(
    client, letter, organiser, mailoutbox, django_capture_on_commit_callbacks
):
    _endorse(client, django_capture_on_commit_callbacks)
    organisation = Organisation.objects.get()
    client.force_login(organiser)
    listing = client.get("/admin/signatures/organisation/")
    assert "contact clicked the mailed link" in listing.text.lower()
    response = client.post(
        "/admin/signatures/organisation/",
        {"action": "verify", "_selected_action": [organisation.pk]},
        follow=True,
    )
    assert "had not confirmed their contact address" in response.text
    assert Organisation.objects.get().status == Organisation.Status.VERIFIED


def test_the_confirmation_mail_is_in_the_contacts_language(
    client, letter, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/fr/organisations/endorse/", VALID)
    assert "Confirmez" in mailoutbox[0].subject and "Merci de soutenir" in mailoutbox[0].body


def test_the_organisations_api_pages_through_every_verified_organisation_by_name(client, letter, monkeypatch):
    from coalition.signatures import selectors

    monkeypatch.setattr(selectors, "ORGANISATIONS_PER_PAGE", 2)
    # Two share a name: the cursor tells them apart.
    names = ["Actors' Guild", "Écrivains unis", "Musicians Union", "Musicians Union", "Zebra Studio"]
    for name in names:
        OrganisationFactory(letter=letter, name=name, verified=True)
    OrganisationFactory(letter=letter, name="Not Yet Verified")
    seen, url = [], "/api/v1/organisations/"
    while url:
        body = client.get(url).json()
        assert body["count"] == 5
        assert len(body["results"]) <= 2
        seen += [row["name"] for row in body["results"]]
        url = body["next"]
    # Every one once (the order of "É" among the others is the database's collation).
    assert sorted(seen) == sorted(names)
    assert "Not Yet Verified" not in seen


@pytest.mark.parametrize("cursor", ["nonsense", "W10", "WyJhIiwgLTFd", "eyJhIjogMX0", "WyJhIiwgdHJ1ZV0"])
def test_a_bad_organisations_cursor_is_a_clear_400(client, letter, cursor):
    response = client.get(f"/api/v1/organisations/?after={cursor}")
    assert response.status_code == 400
    assert "cursor" in response.json()["error"]
