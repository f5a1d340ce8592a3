import json

import pytest

from coalition.accounts.models import MemberProfile
from coalition.mail.models import OutgoingMail
from coalition.signatures.models import Signature
from coalition.signatures.selectors import signature_counts


@pytest.fixture
def ada(client, member):
    user, signature = member("ada@example.org", name="Ada Lovelace", affiliation="Writer, WGA")
    client.force_login(user)
    return user, signature


def test_a_member_downloads_everything_held_about_them_as_json(client, ada, member):
    user, signature = ada
    client.post("/account/profile/", {"crafts": ["writer"], "bio": "Writes.", "updates": "on"})
    member("grace@example.org", name="Grace Hopper")
    response = client.get("/account/data.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["account"]["email_addresses"] == [{"email": "ada@example.org", "verified": True, "primary": True}]
    [mine] = data["signatures"]
    assert (mine["name"], mine["email"], mine["affiliation"]) == ("Ada Lovelace", "ada@example.org", "Writer, WGA")
    assert mine["letter_version"]["text"] == signature.letter_version.body
    assert data["profile"]["crafts"] == ["writer"] and data["profile"]["coalition_updates"]["subscribed"]
    assert data["profile"]["coalition_updates"]["consent_text"]
    assert "Grace" not in response.content.decode()


def test_deleting_the_account_needs_a_confirmation(client, ada, django_user_model):
    page = client.get("/account/delete/")
    assert page.status_code == 200 and 'name="confirm"' in page.text
    response = client.post("/account/delete/", {})
    assert response.status_code == 400 and "Tick this box" in response.text
    assert django_user_model.objects.filter(email="ada@example.org").exists()


def test_deleting_the_account_withdraws_erases_and_keeps_counts_right(client, ada, django_user_model, letter):
    user, signature = ada
    client.post("/account/profile/", {"bio": "Writes.", "updates": "on"})
    OutgoingMail.objects.create(kind="already_signed", to="ada@example.org", signature=signature)
    before = signature_counts(letter=signature.letter)["total"]
    response = client.post("/account/delete/", {"confirm": "on"})
    assert response.status_code == 200 and "deleted" in response.text
    assert not django_user_model.objects.filter(pk=user.pk).exists()
    assert not MemberProfile.objects.exists()
    signature.refresh_from_db()
    assert signature.status == Signature.Status.WITHDRAWN
    assert signature.name == "" and "ada" not in signature.email and signature.affiliation == ""
    assert not OutgoingMail.objects.filter(to="ada@example.org").exists()
    assert signature_counts(letter=signature.letter)["total"] == before - 1
    assert client.get("/account/").status_code == 302, "signed out"
    assert "Ada Lovelace" not in client.get("/signatories/").text


def test_deleting_removes_an_unconfirmed_signature_and_keeps_rejected_ones_erased(
    client, ada, signature_factory, letter
):
    user, signature = ada
    # A second letter is not needed: a rejected signature under another verified address of the same member.
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=user, email="ada2@example.org", verified=True)
    rejected = signature_factory(email="ada2@example.org", status="rejected", name="Ada Two")
    client.post("/account/delete/", {"confirm": "on"})
    rejected.refresh_from_db()
    assert rejected.status == "rejected" and rejected.name == ""


def test_organisers_cannot_delete_themselves_here(client, ada):
    user, _ = ada
    user.is_staff = True
    user.save()
    response = client.post("/account/delete/", {"confirm": "on"})
    assert response.status_code == 400 and "another organiser" in response.text


def test_the_privacy_page_says_what_why_and_how_long(client, db, settings):
    page = client.get("/privacy/")
    assert page.status_code == 200
    text = page.text
    for words in ("What we store", "email address", "30 days", "Download", "Delete", "never"):
        assert words in text
    assert "IP address itself is never stored" in text
