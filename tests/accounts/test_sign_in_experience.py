"""Signing in, as a signer meets it: the mailed code is the sign-in, one message afterwards, no username in sight,
and organisers' password page one link away."""

from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model


def _messages(page):
    return [item.get_text(strip=True) for item in BeautifulSoup(page, "html.parser").select(".messages li")]


def test_sign_in_in_the_menu_opens_the_code_page_not_a_password_form(client, letter):
    page = BeautifulSoup(client.get("/").text, "html.parser")
    link = page.find("a", string="Sign in")
    assert link["href"] == "/accounts/login/code/"
    code_page = client.get(link["href"]).text
    assert "No password needed." in code_page
    assert 'type="password"' not in code_page
    assert 'href="/accounts/login/"' in code_page, "organisers' password sign-in stays reachable"
    # A member page asked for while signed out leads to the code too.
    assert client.get("/account/signature/").url.startswith("/accounts/login/code/?next=")


def test_after_a_code_sign_in_there_is_one_message_and_no_generated_username(
    client, signed_and_confirmed, sign_in_by_code
):
    signed_and_confirmed(name="Ada Lovelace", email="ada@example.org")
    response = sign_in_by_code("ada@example.org")
    page = client.get(response.url).text
    assert _messages(page) == ["You are signed in."]
    username = get_user_model().objects.get(email="ada@example.org").username
    assert username not in page.replace("ada@example.org", ""), "the username we generated is never shown"


def test_allauths_pages_speak_in_sentence_case(client, letter):
    for path, heading in (("/accounts/login/code/", "Sign in"), ("/accounts/login/", "Organisers' sign-in")):
        page = BeautifulSoup(client.get(path).text, "html.parser")
        assert page.h1.get_text(strip=True) == heading
        buttons = [button.get_text(strip=True) for button in page.select("main button")]
        assert buttons and all(text[1:] == text[1:].lower() for text in buttons), buttons
        assert "Sign In" not in page.title.get_text()


def test_the_other_account_pages_speak_in_sentence_case_too(client, member):
    reset = BeautifulSoup(client.get("/accounts/password/reset/").text, "html.parser")
    assert reset.h1.get_text(strip=True) == "Password reset"
    user, _ = member("ada@example.org", name="Ada Lovelace")
    client.force_login(user)
    emails = BeautifulSoup(client.get("/accounts/email/").text, "html.parser")
    assert emails.h1.get_text(strip=True) == "Email addresses"
    assert "Make primary" in emails.get_text() and "Make Primary" not in emails.get_text()
    sign_out = BeautifulSoup(client.get("/accounts/logout/").text, "html.parser")
    assert [b.get_text(strip=True) for b in sign_out.select("main button")] == ["Sign out"]
