import pytest
from django.core.management import CommandError, call_command

PASSWORD = "a-long-passphrase-1"


def test_an_organiser_created_on_the_command_line_signs_in_to_the_admin_through_allauth(client, db, monkeypatch):
    monkeypatch.setenv("ORGANISER_PASSWORD", PASSWORD)
    call_command("createorganiser", "Organiser@Example.org")
    response = client.post("/accounts/login/", {"login": "organiser@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/admin/signatures/signature/").status_code == 200


def test_a_moderator_gets_the_moderator_group(client, db, monkeypatch, django_user_model):
    monkeypatch.setenv("ORGANISER_PASSWORD", PASSWORD)
    call_command("createorganiser", "mod@example.org", "--moderator")
    user = django_user_model.objects.get(email="mod@example.org")
    assert not user.is_superuser and user.is_staff
    assert user.has_perm("signatures.moderate_signature")
    assert not user.has_perm("signatures.export_signature")


@pytest.mark.parametrize("email, password", [("not-an-email", PASSWORD), ("ok@example.org", "123")])
def test_bad_input_is_refused_clearly(db, monkeypatch, django_user_model, email, password):
    monkeypatch.setenv("ORGANISER_PASSWORD", password)
    with pytest.raises(CommandError):
        call_command("createorganiser", email)
    assert not django_user_model.objects.exists()
