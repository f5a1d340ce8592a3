"""What a serious letter shows, edited by organisers in the admin without a deploy: who initiated it, when it was
launched, questions and answers, a press contact, and the organisations that endorse it."""

import datetime

from bs4 import BeautifulSoup

from coalition.signatures import moderation
from coalition.signatures.models import Signature


def _page(client, path="/"):
    response = client.get(path)
    assert response.status_code == 200
    return BeautifulSoup(response.text, "html.parser")


def test_organisers_set_the_launch_date_press_contact_and_questions_and_readers_see_them_at_once(client, letter):
    letter.launched_on = datetime.date(2026, 12, 4)
    letter.press_contact = "press@creators-coalition.example"
    letter.faq = "Who can sign?\nAnyone who creates for a living or for love.\n\nIs my address public?\nNever."
    letter.faq_fr = "Qui peut signer ?\nToute personne qui crée.\n\nMon adresse est-elle publique ?\nJamais."
    letter.save()  # the admin's save: the cached letter is forgotten

    page = _page(client)
    assert page.select_one(".launched").get_text(" ", strip=True) == "Launched on 4 December 2026"
    assert page.select_one(".launched time")["datetime"] == "2026-12-04"
    questions = [summary.get_text(strip=True) for summary in page.select(".faq details summary")]
    assert questions == ["Who can sign?", "Is my address public?"]
    assert page.select_one(".press-contact a")["href"] == "mailto:press@creators-coalition.example"
    assert "press@creators-coalition.example" in _page(client, "/press/").select_one(".press-contact").get_text()

    french = _page(client, "/fr/")
    assert [s.get_text(strip=True) for s in french.select(".faq details summary")] == [
        "Qui peut signer ?",
        "Mon adresse est-elle publique ?",
    ]
    assert "4 décembre 2026" in french.select_one(".launched").get_text()


def test_a_page_without_them_shows_no_empty_sections(client, letter):
    page = _page(client)
    assert not page.select(".launched, .faq, .press-contact, .initiators, .endorsers")


def test_organisers_choose_initiators_among_verified_signatures(client, letter, signature_factory, organiser):
    verified = signature_factory(name="Joseph Gordon-Levitt", affiliation="HitRecord")
    unverified = signature_factory(name="Not Checked")
    moderation.signature_verify(signature_ids=[verified.pk], actor=organiser, method="known_personally")
    client.force_login(organiser)
    action = {"action": "show_initiator", "_selected_action": [verified.pk, unverified.pk]}
    answer = client.post("/admin/signatures/signature/?status=all", action, follow=True).text
    assert "1 signature now shown among the initiators." in answer
    assert "verify a signature first" in answer
    client.logout()

    initiators = _page(client).select_one(".initiators")
    assert initiators.h2.get_text(strip=True) == "Initiated by"
    assert [n.get_text(strip=True) for n in initiators.select(".name")] == ["Joseph Gordon-Levitt"]
    assert initiators.select_one(".affiliation").get_text(strip=True) == "HitRecord"

    # No longer verified (or withdrawn): out of the section at once.
    moderation.signature_move(signature=Signature.objects.get(pk=verified.pk), to=Signature.Status.CONFIRMED)
    assert not _page(client).select(".initiators")


def test_endorsing_organisations_are_on_the_letter_page_as_cards(client, letter, organisation_factory, organiser):
    listed = organisation_factory(name="Guild of Illustrators", verified=True)
    waiting = organisation_factory(name="Waiting Union")
    page = _page(client)
    cards = page.select(".endorsers ul.organisation-cards li")
    assert [card.a.get_text(strip=True) for card in cards] == ["Guild of Illustrators"]
    assert cards[0].a["href"] == listed.website
    assert "Waiting Union" not in page.get_text()

    moderation.organisation_set_status(organisation_ids=[waiting.pk], status=waiting.Status.VERIFIED, actor=organiser)
    names = [card.a.get_text(strip=True) for card in _page(client).select(".endorsers li")]
    assert names == ["Guild of Illustrators", "Waiting Union"], "shown as soon as an organiser verifies it"
