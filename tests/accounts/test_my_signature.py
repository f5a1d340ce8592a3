from datetime import timedelta

import pytest
from django.utils import timezone

from coalition.signatures.models import AuditEvent, NotableName, Signature
from coalition.signatures.selectors import signature_counts


@pytest.fixture
def ada(client, member):
    user, signature = member("ada@example.org", name="Ada Lovelace", affiliation="Writer, WGA")
    client.force_login(user)
    return signature


def _update(client, signature, **fields):
    data = {"signature": signature.pk, "action": "update", f"s{signature.pk}-public": "on"}
    data.update({f"s{signature.pk}-{key}": value for key, value in fields.items()})
    data.setdefault(f"s{signature.pk}-name", signature.name)
    return client.post("/account/signature/", data)


def test_the_member_sees_exactly_what_they_signed(client, ada):
    page = client.get("/account/signature/")
    assert page.status_code == 200
    version = ada.letter_version
    assert version.title in page.text
    assert version.paragraphs[0] in page.text
    assert "English" in page.text
    assert "Ada Lovelace" in page.text


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    for url in ("/account/", "/account/signature/", "/account/profile/", "/account/data.json", "/account/delete/"):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_the_member_changes_how_their_name_is_shown(client, ada):
    response = _update(client, ada, name="Ada King", affiliation="Countess", profile_url="example.org/ada")
    assert response.status_code == 302
    ada.refresh_from_db()
    assert (ada.name, ada.affiliation, ada.profile_url) == ("Ada King", "Countess", "https://example.org/ada")
    assert "Ada King" in client.get("/signatories/").text
    assert AuditEvent.objects.filter(signature=ada, action=AuditEvent.Action.EDIT).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "required"),
        ("name", "Ada\u202eecalevoL", "invisible or control characters"),
        ("affiliation", "\u200b\u200b", "invisible or control characters"),
        ("profile_url", "javascript:alert(1)", "valid URL"),
        ("profile_url", "https://user:pw@example.org/", "user name or password"),
        ("name", "x" * 201, "at most 200"),
        ("name", "Claim your prize at www.prize.example", "without a web or email address"),
    ],
)
def test_the_same_checks_as_the_sign_form_apply(client, ada, field, value, message):
    response = _update(client, ada, **{field: value})
    assert response.status_code == 400
    assert message in response.text
    ada.refresh_from_db()
    assert ada.name == "Ada Lovelace" and ada.profile_url == ""


def test_hiding_the_name_takes_it_off_the_list_but_not_the_counts(client, ada):
    before = signature_counts(letter=ada.letter)["total"]
    data = {"signature": ada.pk, "action": "update", f"s{ada.pk}-name": ada.name}  # public unticked
    assert client.post("/account/signature/", data).status_code == 302
    assert "Ada Lovelace" not in client.get("/signatories/").text
    assert signature_counts(letter=ada.letter)["total"] == before
    _update(client, ada)
    assert "Ada Lovelace" in client.get("/signatories/").text


def test_withdrawing_asks_first_on_its_own_page_and_the_page_says_what_happens(client, ada):
    # The button on the signature page leads to a page that asks; nothing is withdrawn by that first step.
    asked = client.post("/account/signature/", {"signature": ada.pk, "action": "withdraw"}, follow=True)
    assert asked.redirect_chain[-1][0] == f"/account/signature/{ada.pk}/withdraw/"
    assert "Withdraw your signature?" in asked.text
    assert "For 7 days you can take the withdrawal back" in asked.text
    assert f'href="/account/signature/{ada.pk}/withdraw/"' in client.get("/account/signature/").text
    ada.refresh_from_db()
    assert ada.status == Signature.Status.CONFIRMED
    assert "Ada Lovelace" in client.get("/signatories/").text


def test_withdrawing_leaves_the_list_and_the_counts_at_once_and_is_audited(client, ada):
    letter = ada.letter
    before = signature_counts(letter=letter)["total"]
    response = client.post(f"/account/signature/{ada.pk}/withdraw/")
    assert response.status_code == 302
    assert "You can take it back below until" in client.get(response.url).text
    ada.refresh_from_db()
    assert ada.status == Signature.Status.WITHDRAWN
    assert signature_counts(letter=letter)["total"] == before - 1
    assert client.get("/api/v1/stats/").json()["total"] == before - 1
    assert "Ada Lovelace" not in client.get("/signatories/").text
    event = AuditEvent.objects.get(signature=ada, to_status="withdrawn")
    assert event.from_status == "confirmed" and "signer" in event.reason
    # There is nothing left to withdraw: no such page.
    assert client.post(f"/account/signature/{ada.pk}/withdraw/").status_code == 404
    assert signature_counts(letter=letter)["total"] == before - 1


def test_a_withdrawal_can_be_taken_back_for_a_while_from_the_signature_page(client, ada):
    before = signature_counts(letter=ada.letter)["total"]
    client.post(f"/account/signature/{ada.pk}/withdraw/")
    page = client.get("/account/signature/").text
    assert "Take back my withdrawal" in page
    back = client.post("/account/signature/", {"signature": ada.pk, "action": "undo_withdrawal"}, follow=True)
    assert "your signature is on the list and in the counts again" in back.text
    ada.refresh_from_db()
    assert ada.status == Signature.Status.CONFIRMED
    assert signature_counts(letter=ada.letter)["total"] == before
    assert "Ada Lovelace" in client.get("/signatories/").text
    assert AuditEvent.objects.filter(signature=ada, reason="withdrawal taken back by the signer").exists()


def test_after_the_undo_window_a_withdrawal_stays(client, ada, settings):
    client.post(f"/account/signature/{ada.pk}/withdraw/")
    Signature.objects.filter(pk=ada.pk).update(
        status_changed_at=timezone.now() - settings.WITHDRAWAL_UNDO - timedelta(minutes=1)
    )
    assert "Take back my withdrawal" not in client.get("/account/signature/").text
    refused = client.post("/account/signature/", {"signature": ada.pk, "action": "undo_withdrawal"}, follow=True)
    assert "can no longer be taken back" in refused.text
    ada.refresh_from_db()
    assert ada.status == Signature.Status.WITHDRAWN
    assert "Ada Lovelace" not in client.get("/signatories/").text


def test_a_held_signature_withdrawn_and_taken_back_waits_for_review_again(client, ada):
    Signature.objects.filter(pk=ada.pk).update(status=Signature.Status.HELD)
    client.post(f"/account/signature/{ada.pk}/withdraw/")
    client.post("/account/signature/", {"signature": ada.pk, "action": "undo_withdrawal"})
    ada.refresh_from_db()
    assert ada.status == Signature.Status.HELD
    assert "Ada Lovelace" not in client.get("/signatories/").text


def test_renaming_to_a_watchlisted_name_goes_back_to_review(client, ada):
    NotableName.objects.get_or_create(name="Taika Waititi")  # seeded by a migration too
    _update(client, ada, name="Taika Waititi")
    ada.refresh_from_db()
    assert ada.status == Signature.Status.HELD
    assert "Taika" not in client.get("/signatories/").text


@pytest.mark.parametrize("name", ["Taika Wa\u0456titi", "TaikaWaititi", "J\u043ehn Smith"])
def test_renaming_to_a_look_alike_or_a_mixed_script_name_goes_back_to_review(client, ada, name):
    _update(client, ada, name=name)
    ada.refresh_from_db()
    assert ada.status == Signature.Status.HELD
    assert name not in client.get("/signatories/").text


def test_another_members_signature_is_never_reachable(client, ada, member, signature_factory):
    _, other = member("grace@example.org", name="Grace Hopper")
    stranger = signature_factory(email="someone@example.org", name="Someone Private")
    page = client.get("/account/signature/")
    assert "Grace Hopper" not in page.text and "Someone Private" not in page.text
    for target in (other, stranger):
        assert client.post("/account/signature/", {"signature": target.pk, "action": "withdraw"}).status_code == 404
        assert client.get(f"/account/signature/{target.pk}/withdraw/").status_code == 404
        assert client.post(f"/account/signature/{target.pk}/withdraw/").status_code == 404
        undo = {"signature": target.pk, "action": "undo_withdrawal"}
        assert client.post("/account/signature/", undo).status_code == 404
        renamed = {
            "signature": target.pk,
            "action": "update",
            f"s{target.pk}-name": "Hacked",
            f"s{target.pk}-public": "",
        }
        assert client.post("/account/signature/", renamed).status_code == 404
        target.refresh_from_db()
        assert target.status == Signature.Status.CONFIRMED and target.name != "Hacked" and target.public
    for bad in ("", "abc", "-1", "99999999999999999999", "1 OR 1=1", str(10**30)):
        for action in ("withdraw", "undo_withdrawal", "update", "channel", "recheck"):
            # Without the fields an update needs: still "no such signature", not a form error about another's.
            assert client.post("/account/signature/", {"signature": bad, "action": action}).status_code == 404
    for action in ("update", "channel", "recheck"):
        assert client.post("/account/signature/", {"signature": other.pk, "action": action}).status_code == 404
    assert client.post("/account/signature/", {"signature": ada.pk, "action": "explode"}).status_code == 404


def test_an_unverified_address_finds_no_signature(client, django_user_model, signature_factory):
    from allauth.account.models import EmailAddress

    signature_factory(email="victim@example.org", name="Victim Name")
    user = django_user_model.objects.create_user(username="claimer", email="victim@example.org")
    EmailAddress.objects.create(user=user, email="victim@example.org", verified=False, primary=True)
    client.force_login(user)
    assert "Victim Name" not in client.get("/account/signature/").text
    assert "Victim Name" not in client.get("/account/data.json").text
