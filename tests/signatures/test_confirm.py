import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from coalition.signatures.models import ConfirmationToken, NotableName, Signature
from tests.conftest import confirm_path


@pytest.fixture
def link(sign, mailoutbox):
    sign()
    return confirm_path(mailoutbox[-1])


def test_get_shows_a_button_and_changes_nothing(client, link):
    response = client.get(link)
    assert response.status_code == 200
    assert "Confirm my signature" in response.text
    assert "Ada Lovelace" in response.text
    assert 'method="post"' in response.text
    client.get(link)
    assert Signature.objects.get().status == Signature.Status.PENDING
    assert ConfirmationToken.objects.get().used_at is None


def test_post_confirms_and_lists_the_signature(client, link):
    response = client.post(link)
    assert response.status_code == 200
    assert "your signature is confirmed" in response.text
    assert "<strong>Ada Lovelace</strong> is now on the list of signatories." in response.text
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.confirmed_at is not None
    assert "Ada Lovelace" in client.get("/signatories/").text
    assert client.get("/api/v1/stats/").json()["total"] == 1


def test_a_used_link_gets_a_clear_page_and_4xx(client, link):
    client.post(link)
    for method in (client.get, client.post):
        response = method(link)
        assert response.status_code == 410
        assert "already been used" in response.text


def test_an_expired_link_gets_a_clear_page_and_4xx(client, link):
    ConfirmationToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    for method in (client.get, client.post):
        response = method(link)
        assert response.status_code == 410
        assert "expired" in response.text
    assert Signature.objects.get().status == Signature.Status.PENDING


def test_links_expire_after_seven_days(link):
    token = ConfirmationToken.objects.get()
    assert token.expires_at - token.created_at == pytest.approx(timedelta(days=7), abs=timedelta(seconds=5))


@pytest.mark.parametrize(
    "path",
    [
        "/confirm/not-a-token/",
        "/confirm/" + "A" * 43 + "/",
        "/confirm/%00/",
        "/confirm/%F0%9F%8E%B6/",
        "/confirm/" + "x" * 5000 + "/",
    ],
)
def test_unknown_links_get_a_clear_page_and_404(client, letter, path):
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 404
        assert "do not recognise this link" in response.text


def test_any_of_several_mailed_links_confirms_and_then_all_are_spent(client, sign, mailoutbox):
    sign()
    sign()
    first, second = (confirm_path(m) for m in mailoutbox)
    assert client.post(second).status_code == 200
    assert client.post(first).status_code == 410
    assert Signature.objects.get().status == Signature.Status.CONFIRMED


def test_confirming_without_csrf_token_is_refused(letter, link):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(link).status_code == 403
    assert Signature.objects.get().status == Signature.Status.PENDING


def test_the_thank_you_pages_show_the_share_card_people_can_download(client, sign, mailoutbox):
    response = sign(craft="podcaster")
    inbox = client.get(response["Location"])
    assert re.search(r'<img src="/share/letter.png" width="1200" height="630"[^>]* alt="[^"]+"', inbox.text)
    assert client.get("/share/letter.png")["Content-Type"] == "image/png"
    confirmed = client.post(confirm_path(mailoutbox[-1]))
    assert re.search(r'<img src="/share/podcaster.png"[^>]* alt="[^"]+"', confirmed.text)
    assert 'href="/share/podcaster.png" download=' in confirmed.text
    assert client.get("/share/podcaster.png").status_code == 200


def test_a_held_signature_is_told_it_appears_after_the_checks(client, link):
    NotableName.objects.create(name="Ada Lovelace")
    response = client.post(link)
    assert Signature.objects.get().status == Signature.Status.HELD
    assert "will appear on the list of signatories once it has passed our checks" in response.text


def test_a_signature_rejected_before_its_link_is_used_is_not_told_it_is_listed(client, link, admin_user):
    from coalition.signatures.moderation import signature_transition

    signature_transition(
        signature_ids=[Signature.objects.get().pk], to=Signature.Status.REJECTED, actor=admin_user, reason="spam"
    )
    response = client.post(link)
    assert "is now on the list" not in response.text
    assert "Ada Lovelace" not in client.get("/signatories/").text
