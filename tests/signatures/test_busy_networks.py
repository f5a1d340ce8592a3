"""Shared addresses are not attackers: a room of people signing on one Wi-Fi, or phones behind a carrier's shared
address, are accepted as anyone else and held for an organiser once confirmed; only a flood is refused."""

import pytest
from django.test import Client

from coalition.core.models import Switches
from coalition.signatures.models import AuditEvent, NotableName, Signature
from tests.conftest import confirm_path, sign_form_data

Status = Signature.Status


@pytest.fixture
def meeting(letter, settings, mailoutbox, django_capture_on_commit_callbacks):
    """Signatures from one network (or from distinct ones, `same_network=False`), each confirmed by its mail."""

    def _meeting(emails, *, same_network=True):
        statuses = []
        for n, email in enumerate(emails):
            address = "198.51.100.60" if same_network else f"203.0.113.{n + 1}"
            with django_capture_on_commit_callbacks(execute=True):
                statuses.append(Client(REMOTE_ADDR=address).post("/", sign_form_data(email=email)).status_code)
        assert len(mailoutbox) == len(emails), "everyone gets the usual mail"
        for message in mailoutbox:
            Client().post(confirm_path(message))
        return statuses

    return _meeting


def _status(email):
    return Signature.objects.get(email=email).status


def test_a_meeting_on_one_wifi_signs_and_the_busy_part_waits_for_review(meeting, settings, client):
    settings.SIGN_RATES = {"ip": ["2/m"], "domain": ["100/m"]}
    emails = [f"member{n}@union.example" for n in range(4)]
    assert meeting(emails) == [302] * 4, "each person sees the usual answer"
    assert [_status(email) for email in emails] == [Status.CONFIRMED, Status.CONFIRMED, Status.HELD, Status.HELD]
    held = Signature.objects.filter(status=Status.HELD)
    assert {s.review_reason for s in held} == {"busy network"}
    assert all("busy network" in AuditEvent.objects.filter(signature=s).last().reason for s in held)
    assert client.get("/api/v1/stats/").json()["total"] == 2


def test_the_defaults_accept_a_room_of_twenty_from_one_address(meeting):
    # A hard refusal only at flood level: at least 100 a minute from one address.
    emails = [f"member{n}@union.example" for n in range(20)]
    assert meeting(emails) == [302] * 20
    assert Signature.objects.filter(status=Status.CONFIRMED).count() == 10
    assert Signature.objects.filter(status=Status.HELD, review_reason="busy network").count() == 10


def test_a_busy_email_domain_is_held_too(meeting, settings):
    settings.SIGN_RATES = {"ip": ["100/m"], "domain": ["1/m"]}
    assert meeting(["ann@studio.example", "bob@studio.example"], same_network=False) == [302, 302]
    assert _status("ann@studio.example") == Status.CONFIRMED
    held = Signature.objects.get(email="bob@studio.example")
    assert (held.status, held.review_reason) == (Status.HELD, "busy email domain")


def test_only_a_flood_is_refused(letter, settings, django_capture_on_commit_callbacks):
    settings.SIGN_RATES = {"ip": ["1/m"], "domain": ["100/m"]}
    settings.SIGN_FLOOD_RATES = {"ip": ["3/m"], "domain": ["100/m"]}
    client = Client(REMOTE_ADDR="198.51.100.61")
    with django_capture_on_commit_callbacks(execute=True):  # the worker turns submissions into signatures
        statuses = [client.post("/", sign_form_data(email=f"p{n}@example.org")).status_code for n in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert Signature.objects.count() == 3


def test_the_under_attack_switch_holds_sooner(meeting, settings):
    settings.SIGN_RATES = {"ip": ["100/m"], "domain": ["100/m"]}
    settings.SIGN_RATES_UNDER_ATTACK = {"ip": ["1/m"], "domain": ["100/m"]}
    Switches.objects.create(under_attack=True)
    assert meeting(["ann@example.org", "bob@example.org"]) == [302, 302]
    assert [_status("ann@example.org"), _status("bob@example.org")] == [Status.CONFIRMED, Status.HELD]


def test_organisers_release_a_busy_batch_in_one_action(meeting, settings, organiser, client):
    settings.SIGN_RATES = {"ip": ["1/m"], "domain": ["100/m"]}
    NotableName.objects.create(name="Zadie Quillfeather")
    meeting(["first@example.org", "second@example.org", "third@example.org"])
    Signature.objects.filter(email="third@example.org").update(name="Zadie Quillfeather")
    held = list(Signature.objects.filter(status=Status.HELD).order_by("pk"))
    assert len(held) == 2
    client.force_login(organiser)
    response = client.post(
        "/admin/signatures/signature/",
        {"action": "release_busy", "_selected_action": [s.pk for s in held]},
        follow=True,
    )
    assert "1 signature released to the list. 1 kept" in response.text
    assert _status("second@example.org") == Status.CONFIRMED
    # A famous name among them still needs its two approvals.
    assert _status("third@example.org") == Status.HELD
    assert client.get("/api/v1/stats/").json()["total"] == 2


def test_releasing_leaves_other_holds_alone(signature_factory, organiser, client):
    watchlisted = signature_factory(status=Status.HELD)
    client.force_login(organiser)
    response = client.post(
        "/admin/signatures/signature/", {"action": "release_busy", "_selected_action": [watchlisted.pk]}, follow=True
    )
    assert "0 signatures released to the list. 1 kept" in response.text
    assert Signature.objects.get(pk=watchlisted.pk).status == Status.HELD
