"""One inbox, one signature: the spellings of an address that reach the same mailbox sign once. The address as
typed first is the one mailed; a later spelling gets the same page and the usual mail, at that address."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from coalition.mail.models import OutgoingMail
from coalition.signatures.mailboxes import mailbox_key
from coalition.signatures.models import Signature


@pytest.mark.parametrize(
    "email, key",
    [
        ("john.doe@gmail.com", "johndoe@gmail.com"),
        ("j.o.h.n.doe+x@googlemail.com", "johndoe@gmail.com"),
        ("JohnDoe@Gmail.com", "johndoe@gmail.com"),
        ("ada+news@example.org", "ada@example.org"),
        ("ada.lovelace@example.org", "ada.lovelace@example.org"),  # dots are a different person elsewhere
        ("+tag@example.org", "+tag@example.org"),  # nothing before the tag: the address is its own key
        ("...@gmail.com", "...@gmail.com"),
    ],
)
def test_the_mailbox_key_of_an_address(email, key):
    assert mailbox_key(email) == key


def test_three_spellings_of_one_gmail_inbox_are_one_signature(sign, mailoutbox):
    answers = [
        sign(email=email) for email in ("john.doe@gmail.com", "johndoe@gmail.com", "j.o.h.n.doe+x@googlemail.com")
    ]
    assert {(response.status_code, response["Location"]) for response in answers} == {(302, "/signed/")}
    signature = Signature.objects.get()
    assert signature.email == "john.doe@gmail.com"
    # Each submission is answered by mail, always to the address that signed: a confirmation while it waits.
    assert [message.to for message in mailoutbox] == [["john.doe@gmail.com"]] * 3
    assert OutgoingMail.objects.filter(kind=OutgoingMail.Kind.SIGNATURE_CONFIRMATION).count() == 3


def test_a_tagged_address_after_a_confirmed_signature_gets_the_already_signed_mail(sign, mailoutbox, client):
    sign(email="ada@example.org")
    Signature.objects.update(status=Signature.Status.CONFIRMED, confirmed_at=timezone.now())
    mailoutbox.clear()
    response = sign(email="ada+letter@example.org", name="Someone Else")
    assert (response.status_code, response["Location"]) == (302, "/signed/")
    assert Signature.objects.get().name != "Someone Else"
    assert OutgoingMail.objects.filter(kind=OutgoingMail.Kind.ALREADY_SIGNED, to="ada@example.org").count() == 1
    assert [message.to for message in mailoutbox] == [["ada@example.org"]]


def test_two_people_whose_addresses_differ_by_a_dot_outside_gmail_both_sign(sign):
    sign(email="john.doe@example.org")
    sign(email="johndoe@example.org")
    assert Signature.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_signatures_of_one_inbox_from_before_keys_are_all_kept_and_a_new_spelling_signs_no_more(sign):
    before, after = [("signatures", "0016_listsnapshot_prev_sha256")], [("signatures", "0017_signature_mailbox_key")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    Letter, OldSignature = apps.get_model("letters", "Letter"), apps.get_model("signatures", "Signature")
    letter = Letter.objects.first()
    for email in ("john.doe@gmail.com", "johndoe@gmail.com", "j.ohndoe@googlemail.com", "ada+x@example.org"):
        OldSignature.objects.create(
            letter=letter,
            letter_version=letter.versions.first(),
            name="N",
            email=email,
            craft="writer",
            consent_text="yes",
        )
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert dict(Signature.objects.values_list("email", "mailbox_key")) == {
        "johndoe@gmail.com": "johndoe@gmail.com",  # spelled as the key: it takes it
        "john.doe@gmail.com": "john.doe@gmail.com",
        "j.ohndoe@googlemail.com": "j.ohndoe@googlemail.com",
        "ada+x@example.org": "ada@example.org",  # alone in its inbox
    }
    sign(email="jo.hn.doe@gmail.com")
    sign(email="ada@example.org")
    assert Signature.objects.count() == 4
