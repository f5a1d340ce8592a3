"""What a member and an organiser notice in their first minutes: nothing typed twice, one way to write a date, one
Accounts section in the admin."""

import re

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone

from coalition.accounts.models import MemberProfile

MONTHS_EN = "January|February|March|April|May|June|July|August|September|October|November|December"


def test_a_new_members_profile_starts_with_the_craft_and_country_they_signed_with(client, member):
    user, _ = member("agnes@example.org", name="Agnès Varda", craft="director", country="FR")
    client.force_login(user)
    form = BeautifulSoup(client.get("/account/profile/").text, "html.parser")
    assert [box["value"] for box in form.select("input[name=crafts][checked]")] == ["director"]
    assert form.select_one("select[name=country] option[selected]")["value"] == "FR"


def test_what_the_member_saved_wins_over_the_signature(client, member):
    user, _ = member("agnes@example.org", name="Agnès Varda", craft="director", country="FR")
    MemberProfile.objects.create(user=user, crafts=["writer"], country="BE")
    client.force_login(user)
    form = BeautifulSoup(client.get("/account/profile/").text, "html.parser")
    assert [box["value"] for box in form.select("input[name=crafts][checked]")] == ["writer"]
    assert form.select_one("select[name=country] option[selected]")["value"] == "BE"


@pytest.mark.parametrize(
    ("prefix", "pattern"),
    [
        ("", rf"\b\d{{1,2}} ({MONTHS_EN}) \d{{4}}\b"),
        (
            "/fr",
            r"\b\d{1,2} (janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre) \d{4}\b",
        ),
    ],
)
def test_dates_are_written_one_way_per_language(client, member, prefix, pattern):
    user, signature = member("ada@example.org", name="Ada Lovelace")
    client.force_login(user)
    letter_page = client.get(f"{prefix}/").text
    account = client.get(f"{prefix}/account/").text
    signature_page = client.get(f"{prefix}/account/signature/").text
    for page in (letter_page, account, signature_page):
        assert re.search(pattern, page)
        assert not re.search(r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\.? \d{1,2}, \d{4}", page)
    day = timezone.localdate(signature.created_at).day
    assert re.search(rf"\b{day} \w+ {signature.created_at.year}, \d\d:\d\d UTC", signature_page)


def test_the_admin_home_has_one_accounts_section(client, django_user_model):
    organiser = django_user_model.objects.create_superuser("organiser", "organiser@example.org", "a-long-passphrase-1")
    client.force_login(organiser)
    home = BeautifulSoup(client.get("/admin/").text, "html.parser")
    sections = [caption.get_text(strip=True) for caption in home.select("#content-main caption")]
    assert sections.count("Accounts") == 1, sections
    assert "Members and updates" in sections
