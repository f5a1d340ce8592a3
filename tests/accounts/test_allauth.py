def test_allauth_is_wired_login_and_signup_pages_render(client, db):
    assert client.get("/accounts/login/").status_code == 200
    assert client.get("/accounts/signup/").status_code == 200


def test_signing_up_sends_an_email_verification(client, db, mailoutbox, django_user_model):
    response = client.post(
        "/accounts/signup/",
        {"email": "organiser@example.org", "password1": "a-long-passphrase-1", "password2": "a-long-passphrase-1"},
    )
    assert response.status_code == 302
    assert django_user_model.objects.filter(email="organiser@example.org").exists()
    assert len(mailoutbox) == 1
    assert "organiser@example.org" in mailoutbox[0].to
