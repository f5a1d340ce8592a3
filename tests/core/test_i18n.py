"""English and French: the pages, the form's errors and the mails follow the reader's language."""

import html
import re
from pathlib import Path

import polib
import pytest
from allauth.account.models import EmailAddress

from coalition.signatures.models import ChannelProof
from tests.conftest import confirm_link, sign_form_data

LOCALE = Path(__file__).resolve().parents[2] / "locale"
PO = LOCALE / "fr" / "LC_MESSAGES" / "django.po"
MO = LOCALE / "fr" / "LC_MESSAGES" / "django.mo"


def _catalogue(entries):
    return {
        (e.msgctxt, e.msgid, e.msgid_plural): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
        for e in entries
        if e.msgid and not e.obsolete
    }


def test_every_french_message_is_translated_and_none_is_fuzzy():
    po = polib.pofile(str(PO))
    assert po.untranslated_entries() == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    assert po.percent_translated() == 100


def test_the_committed_mo_file_is_compiled_from_the_po_file():
    """Run `manage.py compilemessages` after editing django.po, and commit django.mo with it."""
    assert _catalogue(polib.mofile(str(MO))) == _catalogue(polib.pofile(str(PO)))


def test_the_letter_page_is_in_french_at_its_french_address(client, letter):
    page = client.get("/fr/", HTTP_ACCEPT_LANGUAGE="en").text
    assert '<html lang="fr">' in page
    for words in ("Signer la lettre", "Nom complet", "Adresse e-mail", "Aller au contenu", "Votre métier"):
        assert words in page, words
    assert "Full name" not in page


def test_english_addresses_stay_english_whatever_the_browser_asks(client, letter):
    # A shared cache keys pages by address: the address alone chooses the language.
    page = client.get("/signatories/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9", HTTP_COOKIE="django_language=fr")
    assert '<html lang="en">' in page.text and "Signataires" not in page.text
    assert "Accept-Language" not in page["Vary"]


def test_the_language_switch_is_a_link_to_the_same_page_in_the_other_language(client, letter):
    english = client.get("/signatories/?craft=actor").text
    assert '<a href="/fr/signatories/?craft=actor" hreflang="fr" lang="fr">Français</a>' in english
    french = client.get("/fr/signatories/?craft=actor").text
    assert "Signataires" in french
    assert '<a href="/signatories/?craft=actor" hreflang="en" lang="en">English</a>' in french
    assert "csrfmiddlewaretoken" not in english + french


@pytest.mark.parametrize("path", ["/", "/crafts/actor/", "/signatories/", "/press/", "/corrections/", "/privacy/"])
def test_every_page_names_its_versions_in_each_language(client, letter, path):
    expected = [
        f'<link rel="alternate" hreflang="en" href="http://127.0.0.1:8000{path}">',
        f'<link rel="alternate" hreflang="x-default" href="http://127.0.0.1:8000{path}">',
        f'<link rel="alternate" hreflang="fr" href="http://127.0.0.1:8000/fr{path}">',
    ]
    for page in (client.get(path).text, client.get(f"/fr{path}").text):
        assert re.findall(r'<link rel="alternate" hreflang[^>]*>', page) == expected


def test_the_admin_still_follows_the_browser_language(admin_client):
    page = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="fr")
    assert page["Content-Language"] == "fr" and "Accept-Language" in page["Vary"]


def test_form_errors_are_in_french_for_a_french_reader(client, letter):
    response = client.post("/fr/", sign_form_data(name="", consent="", email="pas une adresse"))
    assert response.status_code == 400
    page = response.text
    assert "Veuillez cocher cette case pour signer." in page
    assert "Ce champ est obligatoire." in page
    assert "Saisissez une adresse e-mail valide" in page
    assert "Please tick" not in page and "This field is required" not in page


@pytest.mark.parametrize("known", [False, True])
def test_mails_are_in_french_for_a_french_signer(sign, signature_factory, mailoutbox, known, client):
    if known:
        signature_factory(email="ada@example.org")
    sign(path="/fr/")
    mail = mailoutbox[-1]
    html, _ = mail.alternatives[0]
    assert '<html lang="fr">' in html
    assert "Vous recevez cet e-mail parce que" in mail.body
    assert "Vous recevez cet e-mail parce que" in html
    if known:
        assert mail.subject == "Vous avez déjà signé la lettre ouverte des créateurs sur l'IA"
        assert "déjà signée et confirmée" in mail.body
    else:
        assert mail.subject == "Confirmez votre signature de la lettre ouverte des créateurs sur l'IA"
        assert "Bonjour Ada Lovelace," in mail.body
        assert "Confirmer ma signature" in html
        assert "/fr/confirm/" in confirm_link(mail), "the link opens the French page"


def test_mails_say_why_the_reader_gets_them_in_english_too(sign, mailoutbox):
    sign()
    mail = mailoutbox[0]
    html, _ = mail.alternatives[0]
    assert "You get this email because someone entered this address" in mail.body
    assert "You get this email because someone entered this address" in html
    assert '<html lang="en">' in html


FRENCH = "/fr"


def test_the_privacy_page_is_in_french_for_a_french_reader(client, db):
    page = client.get(f"{FRENCH}/privacy/").text
    assert '<html lang="fr">' in page
    for words in ("Vos données et vos droits", "Ce que nous conservons", "Combien de temps", "Confidentialité"):
        assert words in page, words
    assert "Your data and your rights" not in page and "How long" not in page


def test_the_press_page_is_in_french_for_a_french_reader(client, letter):
    page = client.get(f"{FRENCH}/press/").text
    for words in (
        "Espace presse",
        "Instantanés quotidiens de la liste",
        "Comment vérifier un fichier",
        "Mettez le compteur",
    ):
        assert words in page, words
    assert "Daily snapshots" not in page and "How to check a file" not in page


def test_the_list_filters_explain_a_bad_value_in_french(client, letter):
    page = client.get(f"{FRENCH}/signatories/?craft=nope").text
    assert "Métier inconnu" in page and "Unknown craft" not in page
    response = client.get(f"{FRENCH}/api/v1/signatories/?country=ZZ")
    assert response.status_code == 400
    assert response.json()["error"].startswith("Pays inconnu")


def test_the_organisation_endorsement_form_answers_in_french(client, letter):
    response = client.post(
        f"{FRENCH}/organisations/endorse/",
        {"name": "Syndicat des artistes", "kind": "union", "website": "https://example.org", "contact_name": ""},
    )
    assert response.status_code == 400
    page = html.unescape(response.text)
    for words in (
        "Soutenir la lettre en tant qu'organisation",
        "Nom de l'organisation",
        "Ce champ est obligatoire.",
    ):
        assert words in page, words
    assert "Veuillez confirmer que vous pouvez parler au nom de l'organisation." in page
    assert "This field is required" not in page and "Organisation name" not in page


def test_the_my_signature_page_is_in_french_for_a_french_member(client, django_user_model, signature_factory):
    user = django_user_model.objects.create_user(username="ada@example.org", email="ada@example.org")
    EmailAddress.objects.create(user=user, email="ada@example.org", verified=True, primary=True)
    signature = signature_factory(email="ada@example.org", name="Ada Lovelace")
    client.force_login(user)
    page = client.get(f"{FRENCH}/account/signature/").text
    for words in (
        "Ma signature",
        "Comment votre signature est affichée",
        "Prouver que votre chaîne est à vous",
        "Votre chaîne, le flux de votre podcast",
        "Retirer ma signature",
        "Mon compte",
    ):
        assert words in page, words
    assert "My signature" not in page and "Withdraw my signature" not in page

    # The worker records why a channel check failed in English; the member reads it in French.
    ChannelProof.objects.create(
        signature=signature,
        url="https://example.org/ada",
        token="coalition-abc",
        status="failed",
        last_error="the token was not found on the page",
    )
    page = client.get(f"{FRENCH}/account/signature/").text
    assert "Texte introuvable" in page and "le texte n&#x27;a pas été trouvé sur la page" in page

    response = client.post(
        f"{FRENCH}/account/signature/", {"signature": signature.pk, "action": "update", f"s{signature.pk}-name": ""}
    )
    assert response.status_code == 400
    assert "Ce champ est obligatoire." in response.text
    response = client.post(f"{FRENCH}/account/signature/{signature.pk}/withdraw/")
    assert "Votre signature est retirée" in client.get(response.url).text


def test_sign_in_mails_are_in_french_for_a_french_reader(
    client, django_user_model, mailoutbox, django_capture_on_commit_callbacks
):
    user = django_user_model.objects.create_user(username="zoe@example.org", email="zoe@example.org")
    EmailAddress.objects.create(user=user, email="zoe@example.org", verified=True, primary=True)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{FRENCH}/accounts/login/code/", {"email": "zoe@example.org"})
    mail = mailoutbox[-1]
    assert mail.subject.startswith("[Coalition des créateurs sur l'IA] ")
    assert "Creators Coalition" not in mail.subject
    assert "code" in mail.body and "Bonjour" in mail.body
