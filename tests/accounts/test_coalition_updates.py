"""Organisers send coalition news to the members who asked for it, once, in their language, with a one-click way
out; nobody else gets it."""

from urllib.parse import urlsplit

import pytest
from django.test import Client

from coalition.accounts.models import CoalitionUpdate
from coalition.accounts.services import coalition_update_queue, coalition_update_queue_part, member_profile_update
from coalition.mail.models import OutgoingMail


@pytest.fixture
def subscriber(member):
    def _make(email, *, wants=True, **fields):
        user, signature = member(email, **fields)
        if wants:
            member_profile_update(
                user=user, crafts=[], union="", country="", bio="", wants_updates=True, consent_text="Yes, updates."
            )
        return user

    return _make


@pytest.fixture
def update(db):
    return CoalitionUpdate.objects.create(
        subject="We met the studios",
        body="Consent first.\n\nNext steps below.",
        subject_fr="Nous avons rencontré les studios",
        body_fr="Le consentement d'abord.",
    )


def _send(client, organiser, update, committed):
    client.force_login(organiser)
    return committed(
        client.post,
        "/admin/accounts/coalitionupdate/",
        {"action": "send", "_selected_action": [update.pk]},
        follow=True,
    )


def test_an_update_reaches_only_members_who_asked_in_their_language(
    client, organiser, update, subscriber, committed, mailoutbox, signature_factory
):
    subscriber("ada@example.org", name="Ada Lovelace")
    subscriber("chloe@example.org", name="Chloé Zhao", language="fr")
    subscriber("nope@example.org", name="No Thanks", wants=False)
    signature_factory(email="signer@example.org", name="Only Signed")

    page = _send(client, organiser, update, committed)
    assert "Sending “We met the studios”" in page.text

    by_address = {m.to[0]: m for m in mailoutbox}
    assert set(by_address) == {"ada@example.org", "chloe@example.org"}
    english, french = by_address["ada@example.org"], by_address["chloe@example.org"]
    assert english.subject == "[Creators Coalition on AI] We met the studios"
    assert "Consent first." in english.body and "you asked for coalition updates" in english.body
    assert "<p>Consent first.</p>" in english.alternatives[0][0]
    assert french.subject == "[Coalition des créateurs sur l'IA] Nous avons rencontré les studios"
    assert "Le consentement d'abord." in french.body
    assert english.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    update.refresh_from_db()
    assert update.sent_by == organiser and update.recipients == 2 and update.queued_at is not None


def test_sending_twice_sends_once_and_a_sent_update_is_a_record(
    client, organiser, update, subscriber, committed, mailoutbox
):
    subscriber("ada@example.org")
    _send(client, organiser, update, committed)
    again = _send(client, organiser, update, committed)
    assert "was already sent" in again.text
    assert len(mailoutbox) == 1
    assert coalition_update_queue(update_id=update.pk) == 0
    form = client.get(f"/admin/accounts/coalitionupdate/{update.pk}/change/").text
    assert 'name="subject"' not in form, "what members received cannot be edited afterwards"


def test_an_unsubscribe_between_the_click_and_the_mail_stops_it(
    client, organiser, update, subscriber, committed, mailoutbox, sign
):
    subscriber("ada@example.org")
    client.force_login(organiser)
    client.post("/admin/accounts/coalitionupdate/", {"action": "send", "_selected_action": [update.pk]})
    coalition_update_queue(update_id=update.pk)  # the worker queues the mail; it has not gone yet
    mail = OutgoingMail.objects.get(kind=OutgoingMail.Kind.COALITION_UPDATE)
    from coalition.accounts.services import unsubscribe_url

    Client().post(urlsplit(unsubscribe_url(email="ada@example.org")).path)
    from coalition.mail.sending import mail_send

    assert mail_send(mail_id=mail.pk) == "not needed"
    assert mailoutbox == []


def test_moderators_cannot_send_updates(client, update, django_user_model):
    from django.contrib.auth.models import Group

    moderator = django_user_model.objects.create_user("mod", "mod@example.org", "a-long-passphrase-2", is_staff=True)
    moderator.groups.add(Group.objects.get(name="moderator"))
    client.force_login(moderator)
    assert client.get("/admin/accounts/coalitionupdate/").status_code == 403


def test_an_update_does_not_use_up_the_sign_forms_daily_mail_allowance(
    client, organiser, update, subscriber, committed, mailoutbox, settings, sign
):
    settings.MAIL_MAX_PER_ADDRESS_PER_DAY = 1
    subscriber("ada@example.org")
    _send(client, organiser, update, committed)
    mailoutbox.clear()
    Client().logout()
    assert sign(email="ada@example.org").status_code == 302
    assert len(mailoutbox) == 1, "the 'already signed' notice still goes"


def test_an_update_whose_queuing_was_lost_is_resumed_by_the_periodic_job(organiser, update, subscriber, mailoutbox):
    from datetime import timedelta

    from django.utils import timezone

    from coalition.accounts.tasks import resume_coalition_updates

    subscriber("ada@example.org")
    # The click happened, the broker lost the task: marked sent, nothing queued.
    CoalitionUpdate.objects.filter(pk=update.pk).update(sent_at=timezone.now(), sent_by=organiser)
    assert resume_coalition_updates.apply().get() == 0, "not before it had time to finish"
    CoalitionUpdate.objects.filter(pk=update.pk).update(sent_at=timezone.now() - timedelta(hours=1))
    assert resume_coalition_updates.apply().get() == 1
    assert OutgoingMail.objects.filter(update=update, to="ada@example.org").count() == 1
    assert resume_coalition_updates.apply().get() == 0, "finished: nothing to resume"


def test_a_large_update_is_queued_in_parts_each_member_once(organiser, update, subscriber):
    from django.utils import timezone

    members = [subscriber(f"member{n}@example.org") for n in range(5)]
    subscriber("quiet@example.org", wants=False)
    CoalitionUpdate.objects.filter(pk=update.pk).update(sent_at=timezone.now(), sent_by=organiser)

    queued, after = coalition_update_queue_part(update_id=update.pk, size=2)
    assert (queued, after) == (2, members[1].pk)
    again = coalition_update_queue_part(update_id=update.pk, after=0, size=2)
    assert again == (0, members[1].pk), "a part run twice (a resumed chain) queues no one again"
    assert coalition_update_queue_part(update_id=update.pk, after=after, size=2) == (2, members[3].pk)
    update.refresh_from_db()
    assert update.queued_at is None, "not all queued yet: the periodic job would resume it"

    assert coalition_update_queue_part(update_id=update.pk, after=members[3].pk, size=2) == (1, None)
    update.refresh_from_db()
    assert update.queued_at is not None and update.recipients == 5
    owed = OutgoingMail.objects.filter(update=update).order_by("to").values_list("to", flat=True)
    assert list(owed) == [f"member{n}@example.org" for n in range(5)]
