"""A surge's work in batches: a batch of submissions or of confirmation mails costs the worker the same number of
queries whatever its size (one write a mail stays: its `sent` state, the moment the server accepts it), and every
signer still gets their own mail with their own working link."""

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coalition.accounts.services import unsubscribe_check, unsubscribe_url, unsubscribe_urls
from coalition.mail.models import OutgoingMail
from coalition.mail.sending import mail_send_batch
from coalition.signatures import services
from coalition.signatures.models import Signature, Submission
from coalition.signatures.submissions import signature_submit
from tests.conftest import confirm_path
from tests.factories import SignatureFactory

pytestmark = pytest.mark.django_db


def _submit(letter, email, **fields):
    return signature_submit(
        letter=letter,
        letter_version=letter.current_version("en"),
        name=fields.pop("name", "Signer"),
        email=email,
        craft="writer",
        consent_text="I agree.",
        **fields,
    )


def _process_all():
    with CaptureQueriesContext(connection) as queries:
        processed = services.submission_process()
    return processed, len(queries)


def _send_all():
    with CaptureQueriesContext(connection) as queries:
        outcomes = mail_send_batch(queue="mail")
    return outcomes, len(queries)


def test_a_batch_of_submissions_costs_the_same_queries_whatever_its_size(letter):
    for n in range(5):
        _submit(letter, f"small{n}@example.org")
    small = _process_all()
    # 30, not the full 50: SQLite splits an INSERT of more rows than its 999 parameters allow.
    for n in range(30):
        _submit(letter, f"large{n}@example.org")
    large = _process_all()
    assert (small[0], large[0]) == (5, 30)
    assert small[1] == large[1]
    assert Signature.objects.count() == 35 and not Submission.objects.exists()
    assert OutgoingMail.objects.filter(kind=OutgoingMail.Kind.SIGNATURE_CONFIRMATION).count() == 35


def test_each_signature_of_a_batch_keeps_its_own_details(letter):
    _submit(letter, "Agnes.Varda@Example.FR", name="Agnès Varda", language="fr", public=False)
    _submit(letter, "ada@example.org", name="Ada Lovelace")
    services.submission_process()
    agnes, ada = Signature.objects.get(name="Agnès Varda"), Signature.objects.get(name="Ada Lovelace")
    assert (agnes.email_domain, agnes.language, agnes.public, agnes.mails_sent) == ("example.fr", "fr", False, 1)
    assert agnes.mailbox_key and agnes.name_skeleton and agnes.mailbox_key != ada.mailbox_key
    mails = {mail.to: (mail.kind, mail.language) for mail in OutgoingMail.objects.all()}
    assert mails == {
        agnes.email: ("signature_confirmation", "fr"),
        "ada@example.org": ("signature_confirmation", "en"),
    }


def test_in_one_batch_an_inbox_twice_is_one_signature_and_one_that_signed_gets_the_already_signed_mail(letter):
    SignatureFactory(letter=letter, email="signed@example.org")
    _submit(letter, "jane.doe@gmail.com")
    _submit(letter, "janedoe+ai@gmail.com")  # the same inbox, spelt another way
    _submit(letter, "signed@example.org")
    _submit(letter, "new@example.org")
    assert services.submission_process() == 4
    jane = Signature.objects.get(email="jane.doe@gmail.com")
    assert jane.mails_sent == 2
    assert not Signature.objects.filter(email="janedoe+ai@gmail.com").exists()
    owed = sorted(OutgoingMail.objects.values_list("to", "kind"))
    assert owed == [
        ("jane.doe@gmail.com", "signature_confirmation"),
        ("jane.doe@gmail.com", "signature_confirmation"),
        ("new@example.org", "signature_confirmation"),
        ("signed@example.org", "already_signed"),
    ]


def test_an_inbox_signed_by_another_worker_meanwhile_fails_no_one_in_the_batch(letter, monkeypatch):
    _submit(letter, "raced@example.org")
    _submit(letter, "other@example.org")
    # Another worker stored this inbox after the batch looked: the batch's INSERT meets the unique constraint.
    SignatureFactory(letter=letter, email="raced@example.org", pending=True)
    monkeypatch.setattr(services, "_inboxes_signed", lambda signatures: set())
    assert services.submission_process() == 2
    assert Signature.objects.filter(email="raced@example.org").get().mails_sent == 1
    owed = sorted(OutgoingMail.objects.values_list("to", "kind"))
    assert owed == [("other@example.org", "signature_confirmation"), ("raced@example.org", "signature_confirmation")]


def test_a_batch_of_confirmations_costs_one_write_a_mail_and_each_link_confirms_its_own_signature(
    letter, smtp_settings, client
):
    for n in range(3):
        _submit(letter, f"small{n}@example.org")
    services.submission_process()
    small, small_queries = _send_all()
    for n in range(23):
        _submit(letter, f"large{n}@example.org")
    services.submission_process()
    large, large_queries = _send_all()
    assert list(small.values()) == ["sent"] * 3 and list(large.values()) == ["sent"] * 23
    assert large_queries - small_queries == 20, "beyond its one `sent` write, a mail adds no query to its batch"

    messages = {message["To"]: message for message in smtp_settings.messages}
    assert len(messages) == 26
    for address in ("small1@example.org", "large7@example.org", "large22@example.org"):
        message = messages[address]
        message.body = message.get_body(("plain",)).get_content()
        assert client.get(confirm_path(message)).status_code == 200
        assert client.post(confirm_path(message)).status_code in (200, 302)
        assert Signature.objects.get(email=address).status == Signature.Status.CONFIRMED
    assert Signature.objects.filter(status=Signature.Status.CONFIRMED).count() == 3
    assert all(message["List-Unsubscribe"] for message in messages.values())


def test_the_unsubscribe_links_of_a_batch_are_those_of_each_address(django_user_model):
    member = django_user_model.objects.create(username="mira", email="mira@example.org")
    EmailAddress.objects.create(user=member, email="mira@example.org", verified=True, primary=True)
    other = django_user_model.objects.create(username="sam", email="sam@example.org")
    EmailAddress.objects.create(user=other, email="Sam@Example.org", verified=False, primary=True)
    addresses = ["mira@example.org", "MIRA@example.org", "sam@example.org", "nobody@example.org"]

    # A token carries the second it was made: compared by what it says.
    def says(url):
        return unsubscribe_check(token=url.rstrip("/").rsplit("/", 1)[-1])

    batch = {address: says(url) for address, url in unsubscribe_urls(emails=addresses).items()}
    assert batch == {address: says(unsubscribe_url(email=address)) for address in addresses}
    assert batch["MIRA@example.org"]["u"] == member.pk and batch["sam@example.org"]["u"] == other.pk
    assert "u" not in batch["nobody@example.org"]
    assert unsubscribe_urls(emails=[]) == {}
