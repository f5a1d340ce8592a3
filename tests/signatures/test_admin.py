from coalition.letters.models import LetterVersion


def test_organisers_see_signatures_with_columns_filters_and_search(client, organiser, signature_factory):
    signature_factory(name="Listed Person", email="listed@example.org", craft="director")
    signature_factory(name="Waiting Person", pending=True)
    client.force_login(organiser)
    assert "Listed Person" not in client.get("/admin/signatures/signature/").text, "opens on the held queue"
    page = client.get("/admin/signatures/signature/?status=all")
    assert page.status_code == 200
    assert "Listed Person" in page.text and "Waiting Person" in page.text
    for column in ("column-craft", "column-status", "column-confirmed_at"):
        assert column in page.text
    pending = client.get("/admin/signatures/signature/?status=pending").text
    assert "Waiting Person" in pending and "Listed Person" not in pending
    by_craft = client.get("/admin/signatures/signature/?status=all&craft__exact=director").text
    assert "Listed Person" in by_craft and "Waiting Person" not in by_craft
    found = client.get("/admin/signatures/signature/?status=all&q=listed@example.org").text
    assert "Listed Person" in found and "Waiting Person" not in found


def test_organisers_can_edit_the_letter_and_add_a_version(client, organiser, letter):
    client.force_login(organiser)
    assert client.get(f"/admin/letters/letter/{letter.pk}/change/").status_code == 200
    response = client.post(
        "/admin/letters/letterversion/add/",
        {"letter": letter.pk, "number": 2, "language": "en", "title": "Second version", "body": "Words."},
    )
    assert response.status_code == 302
    assert LetterVersion.objects.filter(number=2, title="Second version").exists()


def test_a_signed_version_is_read_only_in_the_admin(client, organiser, signature_factory):
    version = signature_factory().letter_version
    client.force_login(organiser)
    page = client.get(f"/admin/letters/letterversion/{version.pk}/change/").text
    assert 'name="body"' not in page
    assert "Consent before training" in page


def test_anonymous_visitors_get_no_admin(client, signature_factory):
    signature_factory()
    response = client.get("/admin/signatures/signature/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_admins_actions_speak_the_organisers_language(client, organiser, signature_factory):
    signature_factory()
    client.force_login(organiser)
    page = client.get("/admin/signatures/signature/?status=all", HTTP_ACCEPT_LANGUAGE="fr").text
    assert "Vérifier — " in page
    assert "Verify — " not in page


def test_admin_messages_count_in_the_right_number(client, organiser, signature_factory):
    one = signature_factory(name="One Person")
    client.force_login(organiser)
    changelist = "/admin/signatures/signature/?status=all"
    marked = client.post(changelist, {"action": "mark_notable", "_selected_action": [one.pk]}, follow=True)
    assert "1 signature marked notable." in marked.text
    rejected = client.post(changelist, {"action": "move_to_rejected", "_selected_action": [one.pk]}, follow=True)
    assert "1 signature rejected." in rejected.text and "could not be" not in rejected.text
    again = client.post(changelist, {"action": "move_to_rejected", "_selected_action": [one.pk]}, follow=True)
    assert "0 signatures rejected. 1 could not be: not allowed from its state." in again.text
