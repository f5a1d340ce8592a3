import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from coalition.letters.models import LetterVersion
from coalition.signatures.models import Signature


def test_the_letter_makes_the_coalitions_case_in_english(client, letter):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").text
    for words in ("Consent before training", "Transparent licensing", "launch first, regulate later"):
        assert words in page
    assert "We are not against artificial intelligence" in page


def test_the_letter_is_in_french_for_french_readers(client, letter):
    page = client.get("/fr/").text
    assert 'lang="fr"' in page
    assert "Le consentement avant l'entraînement" in page or "Le consentement avant l&#x27;entraînement" in page


def test_a_signature_keeps_the_words_it_signed_when_a_new_version_is_published(sign, letter, client):
    sign()
    signed = Signature.objects.get().letter_version
    LetterVersion.objects.create(
        letter=letter, number=2, language="en", title="Version two", body="New words.", published_at=timezone.now()
    )
    assert "Version two" in client.get("/", HTTP_ACCEPT_LANGUAGE="en").text
    signature = Signature.objects.get()
    assert signature.letter_version == signed
    assert signature.letter_version.number == 1
    assert "Consent before training" in signature.letter_version.body


def test_a_signed_version_cannot_be_edited(signature_factory):
    version = signature_factory().letter_version
    version.body = "Different words."
    with pytest.raises(ValidationError):
        version.save()
    version.refresh_from_db()
    assert "Consent before training" in version.body


def test_an_unsigned_draft_can_be_edited_and_is_not_shown_until_published(client, letter):
    draft = LetterVersion.objects.create(letter=letter, number=2, language="en", title="Draft", body="Draft words.")
    draft.body = "Better draft words."
    draft.save()
    assert "Draft" not in client.get("/", HTTP_ACCEPT_LANGUAGE="en").text


def test_signers_sign_the_version_in_their_language(client, letter, django_capture_on_commit_callbacks):
    from tests.conftest import sign_form_data

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/fr/", sign_form_data())
    signature = Signature.objects.get()
    assert signature.letter_version.language == "fr"
    assert signature.language == "fr"


def test_a_version_scheduled_for_later_is_shown_when_its_time_comes_not_before(client, letter):
    from datetime import timedelta

    from coalition.letters.selectors import _letter_entry_build

    LetterVersion.objects.create(
        letter=letter,
        number=2,
        language="en",
        title="Scheduled words",
        body="Later.",
        published_at=timezone.now() + timedelta(seconds=20),
    )
    assert "Scheduled words" not in client.get("/", HTTP_ACCEPT_LANGUAGE="en").text
    # The letter is cached for every page; the entry must expire by the time the new version goes live.
    (_, current), seconds = _letter_entry_build(letter.slug)
    assert current["en"].number == 1
    assert seconds <= 20


def test_closing_the_letter_stops_signing_at_once_though_pages_cache_it(letter, sign):
    assert sign(email="before@example.org").status_code == 302  # the letter is now cached
    letter.is_open = False
    letter.save()
    assert "closed" in sign(email="after@example.org").text
    assert not Signature.objects.filter(email="after@example.org").exists()


def test_a_version_deleted_from_the_admin_list_is_no_longer_shown_or_signed(client, letter, sign):
    later = LetterVersion.objects.create(
        letter=letter, number=2, language="en", title="Words withdrawn", body="Soon gone.", published_at=timezone.now()
    )
    assert "Words withdrawn" in client.get("/", HTTP_ACCEPT_LANGUAGE="en").text  # now cached
    LetterVersion.objects.filter(pk=later.pk).delete()  # what "delete selected" does: no Model.delete()
    assert "Words withdrawn" not in client.get("/", HTTP_ACCEPT_LANGUAGE="en").text
    assert sign().status_code == 302
    assert Signature.objects.get().letter_version.number == 1


def test_a_renamed_letter_is_not_served_from_the_cache(client, letter, settings):
    assert client.get("/").status_code == 200  # cached under its slug
    letter.slug = "renamed"
    letter.save()
    assert client.get("/").status_code == 404, "the configured slug names no letter any more"
    settings.COALITION_LETTER_SLUG = "renamed"
    assert client.get("/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_page_read_before_the_commit_cannot_keep_a_closed_letter_open():
    import threading

    from django.db import connection, transaction

    from coalition.letters.selectors import letter_current
    from tests.factories import coalition_letter

    def another_request(seen):
        try:
            seen.append(letter_current().is_open)
        finally:
            connection.close()

    letter = coalition_letter()
    seen = []
    with transaction.atomic():
        letter.is_open = False
        letter.save()
        # Another request reads the letter between the save and the commit, and caches what is committed so far.
        reader = threading.Thread(target=another_request, args=(seen,))
        reader.start()
        reader.join()
    assert seen == [True]
    assert letter_current().is_open is False
