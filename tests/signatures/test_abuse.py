from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from coalition.core.models import Switches
from coalition.mail.models import OutgoingMail
from coalition.signatures.models import Signature
from coalition.signatures.tasks import purge_unconfirmed_signatures
from tests.conftest import sign_form_data


def test_the_honeypot_gets_the_normal_answer_and_stores_nothing(sign, mailoutbox):
    response = sign(website="http://spam.example")
    assert response.status_code == 302
    assert response["Location"] == "/signed/"
    assert Signature.objects.count() == 0
    assert mailoutbox == []


def test_the_honeypot_is_hidden_from_people(client, letter):
    page = client.get("/").text
    assert 'aria-hidden="true"' in page.split('name="website"')[0].rsplit("<div", 1)[1]
    assert 'tabindex="-1"' in page


def test_a_form_sent_faster_than_a_person_reads_is_returned(sign, settings):
    settings.SIGN_MIN_SECONDS = 3
    response = sign()
    assert response.status_code == 400
    assert "That was very quick" in response.text
    assert Signature.objects.count() == 0


def test_a_form_without_its_timestamp_field_is_a_clear_error(letter):
    data = sign_form_data()
    del data["started"]
    response = Client(raise_request_exception=False).post("/", data)
    assert response.status_code == 400
    assert "Please check your details and submit again" in response.text
    assert Signature.objects.count() == 0


@pytest.mark.parametrize("started", ["", "forged", "1700000000:abc", "\x00"])
def test_a_missing_or_forged_form_timestamp_is_a_clear_error(sign, started):
    response = sign(started=started)
    assert response.status_code == 400
    assert "Please check your details and submit again" in response.text
    assert Signature.objects.count() == 0
    # The form comes back with a fresh timestamp, so the person can simply submit again.
    assert response.context["form"]["started"].value() not in ("", started)


@pytest.mark.parametrize("email", ["someone@mailinator.com", "someone@sub.mailinator.com", "x@10minutemail.com"])
def test_disposable_addresses_are_refused(sign, email):
    response = sign(email=email)
    assert response.status_code == 400
    assert "disposable" in response.text
    assert Signature.objects.count() == 0


def test_a_common_domain_typo_gets_a_suggestion_and_can_be_kept(sign, mailoutbox):
    response = sign(email="ada@gmai.com")
    assert response.status_code == 400
    assert "Did you mean <strong>ada@gmail.com</strong>?" in response.text
    assert 'name="keep_email"' in response.text
    assert Signature.objects.count() == 0
    assert sign(email="ada@gmai.com", keep_email="on").status_code == 302
    assert Signature.objects.get().email == "ada@gmai.com"


def test_a_typo_domain_that_is_a_disposable_catch_all_is_still_refused(sign):
    assert "Did you mean <strong>ada@gmail.com</strong>?" in sign(email="ada@gmial.com").text
    response = sign(email="ada@gmial.com", keep_email="on")
    assert "disposable" in response.text
    assert Signature.objects.count() == 0


def test_no_suggestion_for_correct_or_unusual_domains(sign, client):
    assert 'name="keep_email"' not in client.get("/").text
    assert sign(email="ada@gmail.com").status_code == 302
    assert sign(email="bob@studio-ghibli.example").status_code == 302


@pytest.mark.parametrize(
    "email",
    [
        "cy@yahoo.co.uk",
        "di@hotmail.co.uk",
        "ed@hotmail.de",
        "fi@outlook.fr",
        "gu@live.de",
        "ha@outlook.it",
        "io@yahoo.se",
    ],
)
def test_a_big_providers_national_domain_is_not_taken_for_a_typo(sign, email):
    response = sign(email=email)
    assert response.status_code == 302, "no 'did you mean' for a real provider's own domain"
    assert Signature.objects.get().email == email


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("gmail.co", "gmail.com"),
        ("hotmial.fr", "hotmail.fr"),
        ("yahooo.co.uk", "yahoo.co.uk"),
        ("gmail.con", "gmail.com"),
    ],
)
def test_typos_get_the_providers_domain_in_the_same_country(sign, typed, suggested):
    assert f"Did you mean <strong>ada@{suggested}</strong>?" in sign(email=f"ada@{typed}").text


def test_an_address_gets_at_most_n_mails_a_day_whoever_submits_it(
    letter, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.MAIL_MAX_PER_ADDRESS_PER_DAY = 2
    for n in range(4):
        stranger = Client(REMOTE_ADDR=f"10.0.0.{n}")
        with django_capture_on_commit_callbacks(execute=True):
            assert stranger.post("/", sign_form_data(email="victim@example.org")).status_code == 302
    assert len(mailoutbox) == 2
    OutgoingMail.objects.update(created_at=timezone.now() - timedelta(days=1, minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/", sign_form_data(email="victim@example.org"))
    assert len(mailoutbox) == 3


def test_too_many_signatures_from_one_ip_get_a_polite_429(sign, settings):
    settings.SIGN_FLOOD_RATES = {"ip": ["3/m"], "domain": ["100/m"]}
    for n in range(3):
        assert sign(email=f"person{n}@example.org").status_code == 302
    response = sign(email="person9@example.org")
    assert response.status_code == 429
    assert "Please try again a little later" in response.text
    assert response["Retry-After"]
    assert Signature.objects.count() == 3


def test_too_many_signatures_from_one_email_domain_get_a_429(letter, settings, django_capture_on_commit_callbacks):
    settings.SIGN_FLOOD_RATES = {"ip": ["100/m"], "domain": ["2/m"]}
    statuses = []
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            response = Client(REMOTE_ADDR=f"10.1.0.{n}").post("/", sign_form_data(email=f"p{n}@fakes.example"))
        statuses.append(response.status_code)
    assert statuses == [302, 302, 429]
    assert Client(REMOTE_ADDR="10.1.0.9").post("/", sign_form_data(email="p@real.example")).status_code == 302


def test_the_under_attack_switch_tightens_the_limits(sign, settings, letter):
    settings.SIGN_FLOOD_RATES = {"ip": ["100/m"], "domain": ["100/m"]}
    settings.SIGN_FLOOD_RATES_UNDER_ATTACK = {"ip": ["1/m"], "domain": ["100/m"]}
    Switches.objects.create(under_attack=True)
    assert sign(email="a@example.org").status_code == 302
    assert sign(email="b@example.org").status_code == 429


def test_paused_signing_says_so_politely_and_stores_nothing(sign, client, letter):
    Switches.objects.create(signing_paused=True)
    assert "Signing is paused" in client.get("/").text
    response = sign()
    assert "Signing is paused" in response.text
    assert Signature.objects.count() == 0


def test_unconfirmed_signatures_are_purged_after_30_days(signature_factory, sign):
    sign()
    old = signature_factory(pending=True)
    Signature.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    kept = signature_factory()
    Signature.objects.filter(pk=kept.pk).update(created_at=timezone.now() - timedelta(days=365))
    assert purge_unconfirmed_signatures.apply().get() == 1
    assert not Signature.objects.filter(pk=old.pk).exists()
    assert Signature.objects.count() == 2


def test_signing_works_while_the_redis_cache_is_down(sign, settings, client, mailoutbox):
    settings.CACHES = {"default": {**settings.REDIS_CACHE, "LOCATION": "redis://127.0.0.1:1/0"}}
    assert sign().status_code == 302
    assert Signature.objects.count() == 1
    assert len(mailoutbox) == 1
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["cache"] == "down"


def test_big_shared_providers_are_not_limited_per_domain(letter, settings, django_capture_on_commit_callbacks):
    settings.SIGN_FLOOD_RATES = {"ip": ["100/m"], "domain": ["1/m"]}
    statuses = [
        Client(REMOTE_ADDR=f"10.2.0.{n}").post("/", sign_form_data(email=f"p{n}@gmail.com")).status_code
        for n in range(3)
    ]
    assert statuses == [302, 302, 302]
    subdomains = [
        Client(REMOTE_ADDR=f"10.3.0.{n}").post("/", sign_form_data(email=f"p@x{n}.catchall.example")).status_code
        for n in range(2)
    ]
    assert subdomains == [302, 429], "subdomains of one catch-all share its limit"


def test_domains_under_one_public_suffix_are_limited_apart(letter, settings):
    settings.SIGN_FLOOD_RATES = {"ip": ["100/m"], "domain": ["1/m"]}
    statuses = [
        Client(REMOTE_ADDR=f"10.4.0.{n}").post("/", sign_form_data(email=email)).status_code
        for n, email in enumerate(["ann@bbc.co.uk", "bob@nhs.co.uk", "cy@news.bbc.co.uk"])
    ]
    assert statuses == [302, 302, 429], "bbc.co.uk and nhs.co.uk are two senders; news.bbc.co.uk is bbc.co.uk"
