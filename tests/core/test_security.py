from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_pages_send_a_content_security_policy_without_inline_script(client, letter):
    policy = client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_no_template_carries_inline_script_or_event_handlers():
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        assert "<script>" not in text and " onclick=" not in text and " onload=" not in text, template


def test_the_admin_login_is_allauths(client, db):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_staff_only_get_into_the_admin(client, django_user_model):
    member = django_user_model.objects.create_user("member", "member@example.org", "a-long-passphrase-1")
    client.force_login(member)
    assert client.get("/admin/").status_code in (302, 403)
