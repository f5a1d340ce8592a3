"""Fake famous names written with look-alike letters are held for two organisers, wherever a name comes in."""

import pytest
from django.core.exceptions import PermissionDenied

from coalition.signatures import moderation
from coalition.signatures.models import AuditEvent, NotableName, Signature
from tests.conftest import confirm_path

Status = Signature.Status


def _sign_and_confirm(sign, client, mailoutbox, name):
    sign(name=name)
    client.post(confirm_path(mailoutbox[-1]))
    return Signature.objects.get(name=name)


# The watchlist (seeded by a migration) holds each of the names these imitate.
@pytest.mark.parametrize(
    ("name", "looks_like"),
    [
        ("Natalie \u0420ortman", "Natalie Portman"),  # Cyrillic capital Er
        ("Natalie \u03a1ortman", "Natalie Portman"),  # Greek capital Rho
        ("Natalie \u13e2ortman", "Natalie Portman"),  # Cherokee letter Tlv
        ("\u0412en Affleck", "Ben Affleck"),  # Cyrillic Ve
        ("Tom \u041d\u0430nks", "Tom Hanks"),  # Cyrillic En and a
        ("Cate \u0412lan\u0441hett", "Cate Blanchett"),  # Cyrillic Ve and es
        ("Tom Hank\u0443", "Tom Hanks"),  # Cyrillic u, one letter off
        ("NataIie Portman", "Natalie Portman"),  # capital I for l
        ("Nata1ie Portman", "Natalie Portman"),  # digit 1 for l
        ("Natalie P0rtman", "Natalie Portman"),  # zero for o
        ("Natalie Portrnan", "Natalie Portman"),  # rn for m
        ("Natalie-Portman", "Natalie Portman"),
        ("NataliePortman", "Natalie Portman"),
        ("Natalie Port Man", "Natalie Portman"),
        ("Natalie Portmann", "Natalie Portman"),  # a doubled letter
        ("Natalie Portnan", "Natalie Portman"),  # one edit in a word
        ("Ta\u0131ka Wa\u0131t\u0131t\u0131", "Taika Waititi"),  # dotless i
    ],
)
def test_a_look_alike_of_a_watchlisted_name_is_held_and_organisers_see_why(
    sign, client, mailoutbox, organiser, name, looks_like
):
    signature = _sign_and_confirm(sign, client, mailoutbox, name)
    assert signature.status == Status.HELD
    assert name not in client.get("/signatories/").text
    assert client.get("/api/v1/stats/").json()["total"] == 0

    client.force_login(organiser)
    queue = client.get("/admin/signatures/signature/").text
    assert f"looks like: {looks_like}" in queue
    assert "0 of 2" in queue


@pytest.mark.parametrize(
    "name",
    [
        "Natalie Porter",
        "Nathan Portman",
        "Tom Hardy",
        "Наталья Иванова",  # Cyrillic throughout: a Russian name, not a disguise
        "Βασίλης Παπαδόπουλος",
        "山田太郎",
        "Guðrún Ósk",
        "Conan O'Brien",
        "will.i.am",
    ],
)
def test_ordinary_names_are_listed_at_once(sign, client, mailoutbox, name):
    signature = _sign_and_confirm(sign, client, mailoutbox, name)
    assert signature.status == Status.CONFIRMED
    assert client.get("/api/v1/stats/").json()["total"] == 1


@pytest.mark.parametrize("name", ["J\u043ehn Smith", "Mar\u0456a Garcia", "\u0391lex Morgan"])
def test_a_word_mixing_latin_with_cyrillic_or_greek_is_held_even_off_the_watchlist(
    sign, client, mailoutbox, organiser, name
):
    signature = _sign_and_confirm(sign, client, mailoutbox, name)
    assert signature.status == Status.HELD
    client.force_login(organiser)
    assert "mixed scripts" in client.get("/admin/signatures/signature/").text


def test_adding_a_name_to_the_watchlist_holds_the_look_alikes_already_listed(client, signature_factory, organiser):
    fake = signature_factory(name="Ngoz\u0456 0konkwo")
    joined = signature_factory(name="NgoziOkonkwo")
    other = signature_factory(name="Ngozi Eze")
    unrelated = signature_factory(name="Grace Okafor")
    assert "0konkwo" in client.get("/signatories/").text

    client.force_login(organiser)
    response = client.post(
        "/admin/signatures/notablename/add/", {"name": "Ngozi Okonkwo", "note": "novelist"}, follow=True
    )
    assert "2 listed signatures look like this name: they are held for review." in response.text
    statuses = dict(Signature.objects.values_list("pk", "status"))
    assert statuses == {
        fake.pk: Status.HELD,
        joined.pk: Status.HELD,
        other.pk: Status.CONFIRMED,
        unrelated.pk: Status.CONFIRMED,
    }
    client.logout()
    page = client.get("/signatories/").text
    assert "0konkwo" not in page and "NgoziOkonkwo" not in page and "Ngozi Eze" in page
    assert AuditEvent.objects.filter(signature=fake, reason__contains="looks like: Ngozi Okonkwo").exists()


def test_a_look_alike_spelling_of_a_watchlisted_name_is_refused_as_a_second_entry(client, organiser):
    client.force_login(organiser)
    count = NotableName.objects.count()
    response = client.post("/admin/signatures/notablename/add/", {"name": "NATALIE P\u043eRTMAN"})
    assert "already on the watchlist" in response.text
    assert NotableName.objects.count() == count


def test_two_organisers_release_a_held_name_and_the_admin_counts_their_approvals(
    sign, client, mailoutbox, organiser, second_organiser
):
    held = _sign_and_confirm(sign, client, mailoutbox, "Natalie P0rtman")
    client.force_login(organiser)
    approve = {"action": "approve", "_selected_action": [held.pk]}

    first = client.post("/admin/signatures/signature/", approve, follow=True).text
    assert "1 held signature approved by you." in first
    assert "1 of 2" in first
    again = client.post("/admin/signatures/signature/", approve, follow=True).text
    assert "1 already approved by you: it needs another organiser." in again
    assert "1 of 2" in again
    held.refresh_from_db()
    assert held.status == Status.HELD

    client.force_login(second_organiser)
    last = client.post("/admin/signatures/signature/", approve, follow=True).text
    assert "1 now listed (approved by two organisers)." in last
    held.refresh_from_db()
    assert held.status == Status.CONFIRMED
    client.logout()
    assert "Natalie P0rtman" in client.get("/signatories/").text


def test_moderators_do_not_count_as_an_approval(sign, client, mailoutbox, organiser, moderator):
    held = _sign_and_confirm(sign, client, mailoutbox, "Natalie P0rtman")
    moderation.signature_approve(signature_ids=[held.pk], actor=organiser)

    with pytest.raises(PermissionDenied):
        moderation.signature_approve(signature_ids=[held.pk], actor=moderator)
    client.force_login(moderator)
    queue = client.get("/admin/signatures/signature/").text
    assert 'value="approve"' not in queue, "the action is not offered to a moderator"
    client.post("/admin/signatures/signature/", {"action": "approve", "_selected_action": [held.pk]})
    held.refresh_from_db()
    assert held.status == Status.HELD
    assert held.approvals.count() == 1


def test_a_busy_network_release_keeps_a_look_alike_waiting_for_two_organisers(signature_factory, organiser):
    fake = signature_factory(name="Natalie P0rtman", status=Status.HELD, review_reason="busy network")
    plain = signature_factory(name="Ada Lovelace", status=Status.HELD, review_reason="busy network")
    released, kept = moderation.signature_release_busy(signature_ids=[fake.pk, plain.pk], actor=organiser)
    assert (released, kept) == ([plain.pk], [fake.pk])


def test_a_withdrawn_signature_erased_keeps_neither_its_name_nor_its_mailbox(sign, client, mailoutbox):
    signature = _sign_and_confirm(sign, client, mailoutbox, "Ada Lovelace")
    moderation.signature_withdraw_by_signer(signature_ids=[signature.pk])
    moderation.signature_erase_personal_data(signature_ids=[signature.pk])
    signature.refresh_from_db()
    assert signature.name == "" and signature.name_skeleton == ""
    assert "example.org" not in signature.mailbox_key

    sign(name="Ada Lovelace")  # the same address signs again, as a new signer would
    assert Signature.objects.filter(status=Status.PENDING, name="Ada Lovelace").count() == 1
