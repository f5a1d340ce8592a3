import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from coalition.accounts.forms import UPDATES_CONSENT_TEXT
from coalition.accounts.models import MemberProfile
from coalition.accounts.services import unsubscribe_url
from tests.conftest import confirm_path


@pytest.fixture
def ada(client, member):
    user, signature = member("ada@example.org", name="Ada Lovelace")
    client.force_login(user)
    return user


def _profile(client, **overrides):
    data = {"crafts": ["writer", "podcaster"], "union": "WGA", "country": "GB", "bio": "Writes.", "updates": "on"}
    data.update(overrides)
    return client.post("/account/profile/", {k: v for k, v in data.items() if v is not None})


def test_a_member_keeps_several_crafts_a_union_a_country_and_a_bio(client, ada):
    assert _profile(client).status_code == 302
    profile = MemberProfile.objects.get(user=ada)
    assert profile.crafts == ["writer", "podcaster"]
    assert (profile.union, profile.country.code, profile.bio) == ("WGA", "GB", "Writes.")
    page = client.get("/account/profile/")
    assert re.search(r'value="podcaster"[^>]*checked', page.text)
    assert not re.search(r'value="actor"[^>]*checked', page.text)


def test_opting_in_records_the_consent_text_and_time_and_opting_out_the_revocation(client, ada):
    _profile(client)
    profile = MemberProfile.objects.get(user=ada)
    assert profile.wants_updates
    assert profile.updates_consent_text == str(UPDATES_CONSENT_TEXT)
    assert profile.updates_consented_at is not None and profile.updates_revoked_at is None
    _profile(client, updates=None)
    profile.refresh_from_db()
    assert not profile.wants_updates
    assert profile.updates_revoked_at is not None
    assert profile.updates_consent_text, "what was agreed to stays on record"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"crafts": ["astronaut"]}, "Select a valid choice"),
        ({"country": "XX"}, "Select a valid choice"),
        ({"bio": "x" * 501}, "at most 500"),
        ({"bio": "hi\u202e there"}, "invisible or control characters"),
        ({"union": "\u0000"}, "Null characters are not allowed"),
    ],
)
def test_bad_profile_input_is_a_clear_error_and_stores_nothing(client, ada, overrides, message):
    response = _profile(client, **overrides)
    assert response.status_code == 400
    assert message in response.text
    assert not MemberProfile.objects.filter(user=ada).exclude(bio="").exists()


def test_the_bio_is_public_plain_text_next_to_the_name(client, ada):
    _profile(client, bio="<script>alert(1)</script>\nFilm & TV")
    page = client.get("/signatories/")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>Film &amp; TV" in page.text
    assert "<script>alert" not in page.text


def test_a_bio_shows_only_next_to_a_signature_made_with_a_verified_address_of_its_member(client, ada, member):
    from allauth.account.models import EmailAddress

    _profile(client, bio="Writes novels.")
    assert client.get("/signatories/").text.count("Writes novels.") == 1
    EmailAddress.objects.filter(user=ada).update(verified=False)
    assert "Writes novels." not in client.get("/signatories/").text
    EmailAddress.objects.filter(user=ada).update(verified=True)
    someone_else, _ = member("grace@example.org", name="Grace Hopper")
    assert client.get("/signatories/").text.count("Writes novels.") == 1, "another member's signature shows no bio"


def test_every_mail_carries_a_one_click_unsubscribe(sign, mailoutbox):
    sign()
    headers = mailoutbox[0].extra_headers
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<https?://[^>]+/unsubscribe/[^>]+/>", headers["List-Unsubscribe"])
    assert "ada@example.org" not in headers["List-Unsubscribe"], "the address never travels in a URL"


def test_one_click_post_unsubscribes_without_signing_in(client, ada, committed, mailoutbox):
    _profile(client)
    client.logout()
    path = urlsplit(unsubscribe_url(email="ada@example.org")).path
    page = client.get(path)
    assert page.status_code == 200 and "<button" in page.text
    assert MemberProfile.objects.get(user=ada).wants_updates, "GET changes nothing"
    # As a mail provider sends it (RFC 8058): no cookie, no CSRF token.
    response = client.post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert not MemberProfile.objects.get(user=ada).wants_updates


def test_a_forged_unsubscribe_token_is_refused(client, db):
    for token in ("nope", "eyJ1IjoxfQ:1abc:forged"):
        assert client.post(f"/unsubscribe/{token}/").status_code == 404
        assert client.get(f"/unsubscribe/{token}/").status_code == 404


def _unsubscribe_path(mail):
    return urlsplit(mail.extra_headers["List-Unsubscribe"].strip("<>")).path


def test_unsubscribing_from_a_mail_sent_before_the_account_reaches_the_member(
    client, sign, mailoutbox, sign_in_by_code, committed
):
    sign(email="grace@example.org")
    before_account = _unsubscribe_path(mailoutbox[0])
    committed(client.post, confirm_path(mailoutbox[0]))
    sign_in_by_code("grace@example.org")
    _profile(client)
    assert "You receive coalition updates." in client.get("/account/").text

    stranger = Client()
    response = stranger.post(
        before_account, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200

    assert "You do not receive coalition updates." in client.get("/account/").text
    assert client.get("/account/data.json").json()["profile"]["coalition_updates"]["subscribed"] is False
    assert not re.search(r'name="updates"[^>]*checked', client.get("/account/profile/").text)


def test_opting_in_again_after_a_one_click_unsubscribe_wins(client, sign, mailoutbox, sign_in_by_code, committed):
    sign(email="grace@example.org")
    path = _unsubscribe_path(mailoutbox[0])
    committed(client.post, confirm_path(mailoutbox[0]))
    sign_in_by_code("grace@example.org")
    _profile(client)
    Client().post(path)
    assert "You do not receive coalition updates." in client.get("/account/").text
    _profile(client)
    assert "You receive coalition updates." in client.get("/account/").text


def test_update_recipients_leave_out_an_address_unsubscribed_before_its_account(
    client, sign, mailoutbox, sign_in_by_code, committed, django_assert_max_num_queries
):
    from coalition.accounts.selectors import update_recipients

    sign(email="grace@example.org")
    path = _unsubscribe_path(mailoutbox[0])
    committed(client.post, confirm_path(mailoutbox[0]))
    sign_in_by_code("grace@example.org")
    _profile(client)
    assert [email for _, email in update_recipients()] == ["grace@example.org"]
    Client().post(path)
    # Nobody opened the account pages since: the profile still says yes, the recipients do not.
    assert MemberProfile.objects.get().wants_updates
    with django_assert_max_num_queries(3):
        assert update_recipients() == []
