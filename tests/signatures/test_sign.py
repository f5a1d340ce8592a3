import re

import pytest
from django.core.exceptions import ValidationError
from django.utils.html import escape

from coalition.mail.models import OutgoingMail
from coalition.signatures.models import Signature
from coalition.signatures.services import signature_create
from tests.conftest import confirm_link


def test_signing_answers_check_your_inbox_and_stores_a_pending_signature(sign, client):
    response = sign()
    assert response.status_code == 302
    assert response["Location"] == "/signed/"
    assert "Check your inbox" in client.get("/signed/").text
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.PENDING
    assert (signature.name, signature.craft, signature.affiliation, signature.country.code) == (
        "Ada Lovelace",
        "writer",
        "Writer, WGA",
        "GB",
    )
    assert signature.letter_version.number == 1
    assert "never published" in signature.consent_text


def test_confirmation_mail_has_text_and_html_parts_and_a_link(sign, mailoutbox, settings):
    sign()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["ada@example.org"]
    assert "Confirm your signature" in mail.subject
    link = confirm_link(mail)
    assert link.startswith(settings.SITE_URL + "/confirm/")
    html, mimetype = mail.alternatives[0]
    assert mimetype == "text/html"
    assert link in html


def test_only_the_hash_of_the_token_is_stored(sign, mailoutbox):
    sign()
    token = confirm_link(mailoutbox[0]).rstrip("/").rsplit("/", 1)[1]
    stored = Signature.objects.get().tokens.get()
    assert stored.token_hash != token
    assert token not in stored.token_hash
    assert token not in str(OutgoingMail.objects.values_list().get())


def test_addresses_are_normalised_and_unique_per_letter(sign, mailoutbox):
    sign(email="  Ada@Example.ORG ")
    sign(email="ada@example.org")
    assert Signature.objects.get().email == "ada@example.org"


def test_pending_address_gets_the_confirmation_again_with_the_same_answer(sign, mailoutbox):
    first = sign()
    second = sign(name="Someone Else")
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Signature.objects.count() == 1
    assert Signature.objects.get().name == "Ada Lovelace"
    assert len(mailoutbox) == 2
    assert all("Confirm your signature" in m.subject for m in mailoutbox)


def test_resends_are_capped_per_signature(sign, mailoutbox, settings):
    settings.MAIL_MAX_PER_ADDRESS_PER_DAY = 100
    for _ in range(settings.SIGNATURE_MAX_MAILS + 3):
        assert sign().status_code == 302
    assert len(mailoutbox) == settings.SIGNATURE_MAX_MAILS


def test_confirmed_address_gets_an_already_signed_mail_and_the_same_answer(sign, signature_factory, mailoutbox):
    signature_factory(email="ada@example.org")
    response = sign()
    assert response.status_code == 302
    assert response["Location"] == "/signed/"
    assert len(mailoutbox) == 1
    assert "already signed" in mailoutbox[0].subject
    assert "/confirm/" not in mailoutbox[0].body


LONG = "x" * 10_000


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"consent": None}, "consent"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "ada@@example.org"}, "email"),
        ({"email": "ada@example"}, "email"),
        ({"email": ""}, "email"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": LONG}, "name"),
        ({"name": "Ada\x00Lovelace"}, "name"),
        ({"name": "Ada\x1bLovelace"}, "name"),
        ({"affiliation": LONG}, "affiliation"),
        ({"craft": "astronaut"}, "craft"),
        ({"craft": ""}, "craft"),
        ({"profile_url": "javascript:alert(1)"}, "profile_url"),
        ({"profile_url": "ftp://example.org/x"}, "profile_url"),
        ({"profile_url": "data:text/html,<script>alert(1)</script>"}, "profile_url"),
        ({"country": "XX"}, "country"),
        ({"email": "a" * 300 + "@example.org"}, "email"),
    ],
)
def test_bad_input_gets_the_form_back_with_an_error_and_stores_nothing(sign, mailoutbox, overrides, field):
    response = sign(**overrides)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert f'id="id_{field}_error"' in response.text
    assert Signature.objects.count() == 0
    assert OutgoingMail.objects.count() == 0
    assert mailoutbox == []


@pytest.mark.parametrize(
    "name",
    [
        "Zoë Saldaña-Ñúñez",
        "محمد عبد الله",
        "שרה כהן",
        "李小龍",
        "Björk 🎶✨",
        "<script>alert('x')</script>",
        'O\'Brien & "Sons"',
    ],
)
def test_names_in_any_script_round_trip_exactly_and_are_escaped(sign, client, name):
    assert sign(name=name).status_code == 302
    signature = Signature.objects.get()
    assert signature.name == name
    signature.status, signature.confirmed_at = Signature.Status.CONFIRMED, signature.created_at
    signature.save()
    page = client.get("/signatories/").text
    assert "<script>alert" not in page
    assert escape(name) in page
    assert client.get("/api/v1/signatories/").json()["results"][0]["name"] == name


def test_a_closed_letter_takes_no_signatures(sign, letter):
    letter.is_open = False
    letter.save()
    response = sign()
    assert "closed" in response.text
    assert Signature.objects.count() == 0


def test_unchecked_public_box_keeps_the_name_off_the_list(sign):
    sign(public=None)
    assert Signature.objects.get().public is False


def test_the_form_keeps_what_was_typed_after_an_error(sign):
    response = sign(consent=None)
    assert 'value="Ada Lovelace"' in response.text
    assert "Please tick this box to sign." in response.text
    assert '<option value="GB" selected>' in response.text, "the chosen country stays chosen"
    assert response.text.count(" selected>") == 2, "one country and one craft"


def test_an_unknown_country_is_a_clear_error_and_the_menu_stays_intact(sign):
    response = sign(country='"><script>alert(1)</script>')
    assert response.status_code == 400
    assert "<script>alert(1)" not in response.text
    menu = re.search(r'<select name="country"[^>]*>', response.text).group(0)
    assert 'aria-invalid="true"' in menu, "the error is tied to the menu"
    assert '<option value="">—</option>' in response.text


def test_the_letter_page_shows_the_letter_count_and_form(client, letter, signature_factory):
    signature_factory.create_batch(3)
    page = client.get("/").text
    assert "Consent first" in page
    assert 'id="signature-count">3<' in page
    for field in ("name", "email", "craft", "consent", "affiliation", "country", "profile_url", "public"):
        assert f'name="{field}"' in page


def test_only_post_and_get_are_allowed(client, letter):
    assert client.put("/").status_code == 405


def test_an_address_on_a_punycode_domain_signs_and_matches_its_unicode_spelling(sign):
    assert sign(email="user@xn--wm8c.com").status_code == 302
    assert sign(email="user@\U000104a0.com").status_code == 302
    assert Signature.objects.get().email == "user@xn--wm8c.com"


@pytest.mark.parametrize(
    "field, raw",
    [
        ("name", "%FF%FE"),
        ("name", "A%ED%A0%80B"),
        ("name", "%E2%80%8B"),
        ("name", "%E2%80%AEevil"),
        ("affiliation", "x%1B%5B31my"),
        ("affiliation", "x%0A%3Dcmd"),
        ("profile_url", "https%3A%2F%2Fexample.com%2F%ED%A0%80"),
        ("profile_url", "https%3A%2F%2Fuser%3Asecret%40example.com%3A8080%2F"),
        ("profile_url", "https%3A%2F%2Fexample.com%3A99999%2F"),
        # Letters and symbols that draw nothing: a blank name on the public list.
        ("name", "%E3%85%A4"),
        ("name", "%E2%A0%80%E2%A0%80"),
        ("name", "%EF%BE%A0"),
        ("affiliation", "%E1%85%9F"),
        # A link that reads as another address.
        ("profile_url", "https%3A%2F%2Fexample.org%2F%E2%80%AEgnp.exe"),
        ("profile_url", "https%3A%2F%2Fexam%E2%80%8Bple.org%2F"),
        ("profile_url", "https%3A%2F%2Fpay%E2%80%8Dpal.com%2F"),
        ("profile_url", "https%3A%2F%2Fgoo%EF%B8%8Fgle.com%2F"),
    ],
)
def test_broken_bytes_and_invisible_characters_are_refused(client, letter, field, raw):
    from urllib.parse import urlencode

    from tests.conftest import sign_form_data

    data = {k: v for k, v in sign_form_data().items() if k != field}
    body = urlencode(data) + f"&{field}={raw}"
    response = client.post("/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert len(response.context["form"].errors[field]) == 1
    assert Signature.objects.count() == 0


@pytest.mark.parametrize("name", ["👩\u200d🎨 Maya", "مهدی\u200cزاده"])
def test_joiners_that_emoji_and_scripts_need_are_kept(sign, name):
    assert sign(name=name).status_code == 302
    assert Signature.objects.get().name == name


@pytest.mark.parametrize("charset", ["utf-16", "iso-8859-1", "utf8"])
def test_a_form_in_another_charset_is_a_clear_400(client, letter, charset):
    response = client.post("/", "name=x", content_type=f"application/x-www-form-urlencoded; charset={charset}")
    assert response.status_code in (400, 403)
    assert Signature.objects.count() == 0


@pytest.mark.parametrize("country", ["XX", "fr", "FRA", "F"])
def test_the_signing_service_refuses_an_unknown_country_code_on_its_own(letter, country):
    # The form checks the country first; the service must refuse one too when called from elsewhere.
    with pytest.raises(ValidationError) as refused:
        signature_create(
            letter=letter,
            letter_version=letter.current_version(),
            name="Ada Lovelace",
            email="ada@example.org",
            craft="writer",
            country=country,
            consent_text="I agree",
        )
    assert "country" in refused.value.message_dict
    assert Signature.objects.count() == 0


def test_the_country_menu_is_sorted_by_name_in_the_readers_language(client, letter):
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").text
    french = client.get("/fr/").text
    assert english.index(">China<") < english.index(">Germany<")
    assert french.index(">Allemagne<") < french.index(">Chine<")
    assert ">Germany<" not in french
    assert ">Allemagne<" not in client.get("/crafts/actor/", HTTP_ACCEPT_LANGUAGE="en").text
