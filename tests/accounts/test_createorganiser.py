import pytest
from django.core.management import CommandError, call_command

from tests.accounts.conftest import set_up_authenticator_app

PASSWORD = "a-long-passphrase-1"


@pytest.mark.without_second_factor
def test_an_organiser_created_on_the_command_line_sets_up_an_authenticator_app_and_opens_the_admin(
    client, db, monkeypatch, capsys
):
    monkeypatch.setenv("ORGANISER_PASSWORD", PASSWORD)
    call_command("createorganiser", "Organiser@Example.org")
    told = capsys.readouterr().out
    assert "/admin/" in told and "authenticator app" in told and "recovery codes" in told
    response = client.post("/accounts/login/", {"login": "organiser@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/admin/signatures/signature/").url == "/accounts/2fa/totp/activate/"
    set_up_authenticator_app(client)
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
