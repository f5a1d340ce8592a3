import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from coalition.signatures import moderation
from coalition.signatures.models import AuditEvent, NotableName, Signature
from coalition.signatures.tasks import purge_withdrawn_signatures
from tests.conftest import confirm_path
from tests.factories import signatures_imported

Status = Signature.Status
ALL = list(Status)


def _in_state(factory, status):
    signature = factory(pending=True) if status == Status.PENDING else factory()
    Signature.objects.filter(pk=signature.pk).update(status=status)
    signature.refresh_from_db()
    return signature


@pytest.mark.parametrize("source", ALL)
@pytest.mark.parametrize("target", ALL)
def test_every_move_is_allowed_or_refused_as_the_state_table_says(signature_factory, organiser, source, target):
    signature = _in_state(signature_factory, source)
    # Guarded edges are taken only on their own road (signer, approval, undo), tested below.
    allowed = target in Signature.TRANSITIONS[source] and (source, target) not in Signature.GUARDED
    if allowed:
        moderation.signature_move(signature=signature, to=target, actor=organiser, reason="test")
        assert signature.status == target
        event = AuditEvent.objects.get(signature=signature)
        assert (event.actor, event.from_status, event.to_status, event.reason) == (organiser, source, target, "test")
    else:
        with pytest.raises(moderation.IllegalTransition):
            moderation.signature_move(signature=signature, to=target, actor=organiser)
        signature.refresh_from_db()
        assert signature.status == source
        assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    "name",
    [
        "Natalie Portman",
        "PORTMAN natalie",
        "Natalie  Portmán",
        "Portman, Natalie",
        "Natalie H. Portman",
        "Dr Natalie Portman Jr",
        "Natalie Porta\u200dn Portman",
        "\u039datalie Portman",  # Greek capital nu
        "Natalie P\u043ertman",  # Cyrillic o
    ],
)
def test_a_watchlisted_name_is_held_on_confirmation_and_not_listed(sign, client, mailoutbox, name):
    sign(name=name)
    response = client.post(confirm_path(mailoutbox[0]))
    assert "once it has passed our checks" in response.text
    assert "well-known" not in response.text, "the page does not tell a faker which names are watched"
    assert Signature.objects.get().status == Status.HELD
    assert name not in client.get("/signatories/").text
    assert client.get("/api/v1/stats/").json()["total"] == 0


def test_a_held_signature_needs_two_different_organisers(sign, client, mailoutbox, organiser, second_organiser):
    sign(name="Taika Waititi")
    client.post(confirm_path(mailoutbox[0]))
    signature = Signature.objects.get()

    moderation.signature_approve(signature_ids=[signature.pk], actor=organiser)
    moderation.signature_approve(signature_ids=[signature.pk], actor=organiser)  # the same organiser twice
    signature.refresh_from_db()
    assert signature.status == Status.HELD
    assert "Taika Waititi" not in client.get("/signatories/").text

    moderation.signature_approve(signature_ids=[signature.pk], actor=second_organiser)
    signature.refresh_from_db()
    assert signature.status == Status.CONFIRMED
    assert "Taika Waititi" in client.get("/signatories/").text
    assert AuditEvent.objects.filter(signature=signature, action=AuditEvent.Action.APPROVAL).count() == 2


def test_organisers_edit_the_watchlist(client, organiser, sign, mailoutbox):
    client.force_login(organiser)
    client.post("/admin/signatures/notablename/add/", {"name": "Ngozi Okonkwo", "note": "novelist"})
    assert NotableName.objects.filter(key="ngozi okonkwo").exists()
    client.logout()
    sign(name="Ngozi Okonkwo")
    client.post(confirm_path(mailoutbox[0]))
    assert Signature.objects.get().status == Status.HELD


def test_verification_records_method_and_organiser_and_shows_a_mark(client, signature_factory, organiser):
    signature = signature_factory(name="Checked Person")
    moderation.signature_verify(signature_ids=[signature.pk], actor=organiser, method="union_confirmed")
    signature.refresh_from_db()
    assert (signature.status, signature.verification_method, signature.verified_by) == (
        Status.VERIFIED,
        "union_confirmed",
        organiser,
    )
    assert "✓ verified" in client.get("/signatories/").text
    assert client.get("/api/v1/signatories/").json()["results"][0]["verified"] is True
    assert client.get("/api/v1/stats/").json()["total"] == 1


def test_notable_signatures_are_shown_first_in_their_own_section(client, signature_factory, organiser):
    signature_factory(name="Ordinary Person", confirmed_at=timezone.now())
    star = signature_factory(name="Famous Director", confirmed_at=timezone.now() - timedelta(days=3))
    moderation.signature_set_notable(signature_ids=[star.pk], notable=True, actor=organiser)
    page = client.get("/signatories/").text
    assert "Notable signatories" in page
    assert page.index("Famous Director") < page.index("Ordinary Person")
    assert client.get("/api/v1/signatories/?q=famous").json()["results"][0]["notable"] is True


def test_fraudulent_signatures_vanish_from_every_public_surface_and_the_counts(
    client, signature_factory, organiser, mailoutbox
):
    fake = signature_factory(name="Fake Celebrity", craft="director")
    signature_factory(name="Real Person", craft="writer")
    moderation.signature_transition(signature_ids=[fake.pk], to=Status.FRAUDULENT, actor=organiser)
    assert "Fake Celebrity" not in client.get("/signatories/").text
    assert "Fake Celebrity" not in client.get("/api/v1/signatories/").text
    assert "Fake Celebrity" not in b"".join(client.get("/signatories.csv").streaming_content).decode()
    stats = client.get("/api/v1/stats/").json()
    assert stats["total"] == 1 and stats["by_craft"]["director"] == 0
    assert mailoutbox == [], "the signer is not told"


def _post_action(client, action, signatures):
    return client.post(
        "/admin/signatures/signature/?status=all",
        {"action": action, "_selected_action": [s.pk for s in signatures]},
        follow=True,
    )


def test_bulk_actions_on_thousands_of_rows_use_a_bounded_number_of_queries(
    client, organiser, letter, django_assert_max_num_queries
):
    signatures_imported(letter=letter, n=3000, name="Bot {n}", domain="fakes.example", craft="other")
    assert client.get("/api/v1/stats/").json()["total"] == 3000
    client.force_login(organiser)
    ids = list(Signature.objects.values_list("pk", flat=True))
    # PostgreSQL inserts the 3,000 audit events in 3 batches; SQLite's 999-parameter limit makes it ~22. One more
    # asks whether the organiser has an authenticator app (every admin page does).
    with django_assert_max_num_queries(21 if connection.vendor == "postgresql" else 46):
        response = client.post(
            "/admin/signatures/signature/?status=all&email_domain=fakes.example",
            {"action": "move_to_fraudulent", "select_across": "1", "_selected_action": ids[:1]},
        )
    assert response.status_code == 302
    assert Signature.objects.filter(status=Status.FRAUDULENT).count() == 3000
    assert AuditEvent.objects.filter(to_status=Status.FRAUDULENT).count() == 3000
    assert client.get("/api/v1/stats/").json()["total"] == 0


def test_the_admin_actions_report_what_they_did_and_refused(client, organiser, signature_factory):
    confirmed = signature_factory()
    pending = signature_factory(pending=True)
    client.force_login(organiser)
    response = _post_action(client, "verify_known_personally", [confirmed, pending])
    assert "1 signature verified. 1 could not be: not allowed from its state." in response.text
    response = _post_action(client, "move_to_rejected", [confirmed])
    assert "1 signature rejected." in response.text


def test_a_burst_from_one_network_can_be_found_and_removed(
    client, organiser, settings, letter, django_capture_on_commit_callbacks
):
    settings.SIGN_RATES = {"ip": ["100/m"], "domain": ["100/m"]}
    from tests.conftest import sign_form_data

    with django_capture_on_commit_callbacks(execute=True):  # the worker turns submissions into signatures
        for n in range(4):
            client.post("/", sign_form_data(email=f"bot{n}@example.org"), REMOTE_ADDR=f"203.0.113.{n + 1}")
        client.post("/", sign_form_data(email="human@example.org"), REMOTE_ADDR="198.51.100.9")
    hashes = set(Signature.objects.values_list("ip_prefix_hash", flat=True))
    assert len(hashes) == 2 and "" not in hashes
    assert not any("203.0.113" in h for h in hashes)
    bot_hash = Signature.objects.get(email="bot0@example.org").ip_prefix_hash
    client.force_login(organiser)
    page = client.get(f"/admin/signatures/signature/?status=all&ip_prefix_hash={bot_hash}").text
    assert "bot3@example.org" not in page  # emails are not list columns
    assert page.count("field-name") == 4


def test_the_activity_page_shows_the_last_day_and_flags_spikes(client, organiser, signature_factory):
    for _ in range(12):
        signature_factory(email_domain="fakes.example")
    client.force_login(organiser)
    page = client.get("/admin/signatures/signature/activity/")
    assert page.status_code == 200
    assert "12 signatures in the last 24 hours" in page.text
    assert "⚠" in page.text
    assert "example.org" in page.text


def test_every_change_is_in_a_read_only_audit_log_on_the_signature_page(client, organiser, signature_factory):
    signature = signature_factory()
    moderation.signature_move(signature=signature, to=Status.REJECTED, actor=organiser, reason="duplicate")
    client.force_login(organiser)
    page = client.get(f"/admin/signatures/signature/{signature.pk}/change/").text
    assert "duplicate" in page and "rejected" in page
    event = AuditEvent.objects.get()
    assert client.get(f"/admin/signatures/auditevent/{event.pk}/change/").status_code == 200
    assert client.post(f"/admin/signatures/auditevent/{event.pk}/delete/").status_code == 403


def test_a_moderator_moderates_but_cannot_export_or_edit_the_letter_or_users(
    client, moderator, signature_factory, letter
):
    signature = signature_factory()
    client.force_login(moderator)
    assert _post_action(client, "verify_profile_checked", [signature]).status_code == 200
    signature.refresh_from_db()
    assert signature.status == Status.VERIFIED
    response = _post_action(client, "export_csv", [signature])
    assert response["Content-Type"].startswith("text/html")
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()
    assert client.get(f"/admin/letters/letter/{letter.pk}/change/").status_code == 403
    assert client.get("/admin/auth/user/").status_code == 403


def test_anonymous_users_get_no_moderation(client, signature_factory):
    signature = signature_factory()
    response = client.post(
        "/admin/signatures/signature/", {"action": "move_to_fraudulent", "_selected_action": [signature.pk]}
    )
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get("/admin/signatures/signature/activity/").status_code == 302
    signature.refresh_from_db()
    assert signature.status == Status.CONFIRMED


def test_export_with_emails_is_for_permitted_staff_and_recorded(client, organiser, signature_factory):
    signature = signature_factory(email="listed@example.org", name="=cmd")
    client.force_login(organiser)
    response = _post_action(client, "export_csv", [signature])
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0]["email"] == "listed@example.org"
    assert rows[0]["name"] == "'=cmd"
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor == organiser and "1 rows" in event.reason


def test_withdrawn_personal_data_is_erased_after_the_retention_period_and_the_row_kept(
    signature_factory, organiser, settings
):
    signature = signature_factory(name="Leaving Person", email="leaving@example.org", affiliation="Actor")
    moderation.signature_move(signature=signature, to=Status.WITHDRAWN, actor=organiser)
    assert purge_withdrawn_signatures.apply().get() == 0
    Signature.objects.filter(pk=signature.pk).update(status_changed_at=timezone.now() - timedelta(days=31))
    assert purge_withdrawn_signatures.apply().get() == 1
    signature.refresh_from_db()
    assert signature.status == Status.WITHDRAWN
    assert signature.name == "" and signature.affiliation == ""
    assert "leaving" not in signature.email
    assert Signature.objects.filter(status=Status.WITHDRAWN).count() == 1


def test_signing_can_be_paused_and_the_letter_closed_from_the_admin(client, organiser, letter):
    client.force_login(organiser)
    client.post("/admin/core/switches/add/", {"signing_paused": "on"})
    assert "Signing is paused" in client.get("/").text
    client.post("/admin/core/switches/1/change/", {})
    assert "Signing is paused" not in client.get("/").text
    letter.is_open = False
    letter.save()
    assert "This letter is closed" in client.get("/").text


@pytest.fixture
def held(sign, client, mailoutbox):
    sign(name="Taika Waititi")
    client.post(confirm_path(mailoutbox[0]))
    signature = Signature.objects.get()
    assert signature.status == Status.HELD
    return signature


@pytest.mark.parametrize("action", ["verify_known_personally", "move_to_confirmed"])
def test_one_organiser_cannot_release_a_held_signature_another_way(client, organiser, held, action):
    client.force_login(organiser)
    _post_action(client, action, [held])
    held.refresh_from_db()
    assert held.status == Status.HELD
    assert "Taika Waititi" not in client.get("/signatories/").text


def test_undoing_a_rejection_returns_a_signature_to_where_it_was(client, organiser, held, signature_factory):
    client.force_login(organiser)
    _post_action(client, "move_to_rejected", [held])
    _post_action(client, "restore", [held])
    held.refresh_from_db()
    assert held.status == Status.HELD, "a held signature comes back held, not listed"

    pending = signature_factory(pending=True)
    _post_action(client, "move_to_fraudulent", [pending])
    _post_action(client, "restore", [pending])
    pending.refresh_from_db()
    assert pending.status == Status.PENDING, "an unconfirmed signature never reaches the list this way"


def test_approvals_do_not_survive_leaving_the_hold(client, organiser, second_organiser, held):
    moderation.signature_approve(signature_ids=[held.pk], actor=organiser)
    moderation.signature_transition(signature_ids=[held.pk], to=Status.REJECTED, actor=organiser)
    moderation.signature_restore(signature_ids=[held.pk], actor=organiser)
    moderation.signature_approve(signature_ids=[held.pk], actor=second_organiser)
    held.refresh_from_db()
    assert held.status == Status.HELD


def test_organisers_cannot_put_a_pending_signature_on_the_list(signature_factory, organiser):
    pending = signature_factory(pending=True)
    for target in (Status.CONFIRMED, Status.HELD, Status.VERIFIED):
        moved, refused = moderation.signature_transition(signature_ids=[pending.pk], to=target, actor=organiser)
        assert moved == [] and refused == [pending.pk]


def test_the_signature_page_edits_nothing_without_the_audit_log(client, moderator, signature_factory):
    signature = signature_factory(name="Tom Hank", public=False)
    client.force_login(moderator)
    page = client.get(f"/admin/signatures/signature/{signature.pk}/change/").text
    assert 'name="name"' not in page and 'name="public"' not in page
    client.post(f"/admin/signatures/signature/{signature.pk}/change/", {"name": "Tom Hanks", "public": "on"})
    signature.refresh_from_db()
    assert (signature.name, signature.public) == ("Tom Hank", False)


def test_moderators_add_to_the_watchlist_but_cannot_remove_from_it(client, moderator):
    client.force_login(moderator)
    client.post("/admin/signatures/notablename/add/", {"name": "New Star", "note": ""})
    star = NotableName.objects.get(name="New Star")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.WATCHLIST, actor=moderator).exists()
    assert client.post(f"/admin/signatures/notablename/{star.pk}/delete/", {"post": "yes"}).status_code == 403
    assert NotableName.objects.filter(pk=star.pk).exists()


def test_a_second_spelling_of_a_watchlisted_name_is_a_form_error(client, organiser):
    client.force_login(organiser)
    response = client.post("/admin/signatures/notablename/add/", {"name": "HANKS, tom", "note": ""})
    assert response.status_code == 200
    assert "already on the watchlist" in response.text


@pytest.mark.parametrize(
    "query", ["hour=9999-12-31T23", "hour=garbage", "status=nonsense", "email_domain=%00", "status=%00"]
)
def test_hostile_admin_filters_never_500(client, organiser, signature_factory, query):
    signature_factory()
    client.force_login(organiser)
    assert client.get(f"/admin/signatures/signature/?{query}").status_code in (200, 302, 400)
    assert client.get(f"/admin/signatures/auditevent/?{query}").status_code in (200, 302, 400)


def test_a_rename_while_held_needs_two_approvals_of_the_new_name(organiser, second_organiser, held):
    moderation.signature_approve(signature_ids=[held.pk], actor=organiser)
    moderation.signature_update_by_signer(
        signature=held, name="Meryl Streep", affiliation="", profile_url="", public=True
    )
    moderation.signature_approve(signature_ids=[held.pk], actor=second_organiser)
    held.refresh_from_db()
    assert held.status == Status.HELD, "one approval of the new name is not two"


def test_endorsements_wait_while_signing_is_paused(client, letter):
    from coalition.core.models import Switches
    from coalition.signatures.models import Organisation

    Switches.objects.create(signing_paused=True)
    page = client.post(
        "/organisations/endorse/",
        {
            "name": "Writers Guild",
            "kind": "union",
            "website": "https://guild.example.org",
            "contact_name": "Pat",
            "contact_email": "pat@guild.example.org",
            "authority": "on",
        },
    )
    assert "Signing is paused" in page.text
    assert not Organisation.objects.exists()


def test_a_notable_removed_or_renamed_leaves_the_letter_page_at_once(client, organiser, signature_factory):
    fake = signature_factory(name="Famous Person", notable=True)
    kept = signature_factory(name="Real Notable", notable=True)
    assert "Famous Person" in client.get("/").text  # the preview is now cached
    moderation.signature_transition(signature_ids=[fake.pk], to=Status.FRAUDULENT, actor=organiser)
    assert "Famous Person" not in client.get("/").text
    moderation.signature_update_by_signer(
        signature=kept, name="Real Notable Renamed", affiliation="", profile_url="", public=True
    )
    assert "Real Notable Renamed" in client.get("/").text
    moderation.signature_set_notable(signature_ids=[kept.pk], notable=False, actor=organiser)
    assert "Real Notable Renamed" not in client.get("/").text


def test_undoing_the_rejection_of_a_verified_signature_asks_for_a_new_verification(
    client, organiser, signature_factory
):
    signature = signature_factory(name="Verified Once")
    moderation.signature_verify(signature_ids=[signature.pk], actor=organiser, method="known_personally")
    moderation.signature_transition(signature_ids=[signature.pk], to=Status.REJECTED, actor=organiser)
    moved, refused = moderation.signature_restore(signature_ids=[signature.pk], actor=organiser)
    assert moved == [signature.pk]
    signature.refresh_from_db()
    assert signature.status == Status.CONFIRMED and signature.verified_at is None
    [row] = client.get("/api/v1/signatories/").json()["results"]
    assert row["verified"] is False
