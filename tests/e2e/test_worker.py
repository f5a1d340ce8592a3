from urllib.parse import urlsplit

import pytest

from coalition.mail.models import OutgoingMail
from coalition.signatures.models import Signature
from tests.conftest import sign_form_data
from tests.e2e.conftest import wait_for
from tests.factories import coalition_letter

pytestmark = pytest.mark.services


def _link(message):
    import re

    text = message.get_body(("plain",)).get_content()
    return urlsplit(re.search(r"https?://\S+/confirm/[A-Za-z0-9_-]+/", text).group(0)).path


def test_sign_mail_arrives_through_the_worker_then_confirm_and_listed(client, celery_worker_process):
    sink = celery_worker_process
    coalition_letter()
    assert client.post("/", sign_form_data(name="Ngozi Ọkọ́nkwọ́")).status_code == 302

    wait_for(lambda: sink.messages, 30, "the confirmation mail")
    message = sink.messages[0]
    assert message["To"] == "ada@example.org"
    assert message.get_body(("html",)) is not None
    path = _link(message)

    assert "Confirm my signature" in client.get(path).text
    assert Signature.objects.get().status == Signature.Status.PENDING
    assert client.post(path).status_code == 200
    assert "Ngozi Ọkọ́nkwọ́" in client.get("/signatories/").text
    assert OutgoingMail.objects.get().status == OutgoingMail.Status.SENT
    assert len(sink.messages) == 1


def test_the_worker_retries_when_smtp_refuses_then_delivers_once(client, celery_worker_process):
    sink = celery_worker_process
    sink.refuse = 2
    coalition_letter()
    assert client.post("/", sign_form_data()).status_code == 302

    wait_for(lambda: sink.messages, 60, "the mail after two refusals")
    mail = OutgoingMail.objects.get()
    wait_for(lambda: OutgoingMail.objects.get().status == OutgoingMail.Status.SENT, 10, "the outbox row marked sent")
    mail.refresh_from_db()
    assert mail.attempts == 3
    assert sink.refuse == 0
    assert len(sink.messages) == 1


def test_an_organisers_update_goes_through_the_worker_to_consenting_members_only(
    client, worker_factory, worker_sink, django_user_model
):
    from allauth.account.models import EmailAddress

    from coalition.accounts.models import CoalitionUpdate
    from coalition.accounts.services import member_profile_update

    worker_factory(queues="mail,default,bulk").start()  # the README's worker: updates wait on `bulk`
    sink = worker_sink
    for email, wants in (("yes@example.org", True), ("no@example.org", False)):
        user = django_user_model.objects.create_user(username=email, email=email)
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        member_profile_update(
            user=user, crafts=[], union="", country="", bio="", wants_updates=wants, consent_text="Yes, updates."
        )
    update = CoalitionUpdate.objects.create(subject="The studios answered", body="They said yes to consent.")
    organiser = django_user_model.objects.create_superuser("organiser", "organiser@example.org", "a-long-passphrase")
    client.force_login(organiser)
    client.post("/admin/accounts/coalitionupdate/", {"action": "send", "_selected_action": [update.pk]})

    wait_for(lambda: sink.messages, 30, "the update mail")
    wait_for(lambda: OutgoingMail.objects.filter(status=OutgoingMail.Status.SENT).count() == 1, 10, "marked sent")
    assert [m["To"] for m in sink.messages] == ["yes@example.org"]
    assert "They said yes to consent." in sink.messages[0].get_body(("plain",)).get_content()
    assert sink.messages[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
