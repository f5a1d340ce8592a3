"""What a visitor who is not signed in can open of the account side (the privacy notice, the unsubscribe link,
allauth's sign-in, sign-up and reset pages and the links they mail) makes a fixed number of queries, the same with
one member as with many. These pages read no signature; what could grow is the members and their addresses.

Counts are taken inside the test's transaction: a session write shows as its SAVEPOINT and RELEASE (two of the
counted queries), which outside a transaction are the BEGIN and COMMIT Django does not count."""

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from coalition.accounts.services import unsubscribe_url

MEMBERS = (1, 30)


@pytest.fixture
def members(member):
    """members(n): at least n members, each with a verified address and a signature."""
    made = []

    def _grow(n):
        while len(made) < n:
            made.append(member(f"member{len(made)}@example.org"))
        return made

    return _grow


@pytest.mark.parametrize(
    ("path", "status", "queries"),
    [
        ("/privacy/", 200, 0),
        ("{unsubscribe}", 200, 0),  # a signed token: nothing to look up until the button is pressed
        ("/accounts/login/", 200, 0),
        ("/accounts/signup/", 200, 0),
        ("/accounts/login/code/", 200, 0),
        ("/accounts/login/code/confirm/", 302, 0),  # no code asked for in this session: back to the start
        ("/accounts/password/reset/", 200, 0),
        ("/accounts/password/reset/done/", 200, 0),
        ("/accounts/confirm-email/", 200, 0),
        ("/accounts/confirm-email/not-a-key/", 200, 0),
        ("/accounts/password/reset/key/1-not-a-key/", 200, 1),  # the user the link names
        ("/accounts/inactive/", 200, 0),
    ],
)
def test_account_pages_a_visitor_opens_make_the_same_queries_however_many_members(
    client, members, django_assert_num_queries, path, status, queries
):
    url = path.format(unsubscribe=urlsplit(unsubscribe_url(email="member0@example.org")).path)
    for n in MEMBERS:
        members(n)
        with django_assert_num_queries(queries, info=f"{url}, {n} members"):
            assert client.get(url).status_code == status


def test_a_mailed_password_reset_link_makes_the_same_queries_however_many_members(
    members, committed, mailoutbox, django_assert_num_queries
):
    for n in MEMBERS:
        members(n)
        visitor = Client()
        committed(visitor.post, "/accounts/password/reset/", {"email": "member0@example.org"})
        link = urlsplit(re.search(r"https?://\S+/accounts/password/reset/key/\S+/", mailoutbox[-1].body)[0]).path
        # The user, two reads of their addresses, and the key kept in a new session (a check and an insert).
        with django_assert_num_queries(7, info=f"reset link, {n} members"):
            response = visitor.get(link)
        assert response.status_code == 302
        # The form to choose a password: the session, the user and the same two reads of their addresses.
        with django_assert_num_queries(4, info=f"set password form, {n} members"):
            assert visitor.get(response["Location"]).status_code == 200


def test_a_mailed_address_confirmation_link_makes_the_same_queries_however_many_members(
    members, committed, mailoutbox, django_assert_num_queries
):
    for n in MEMBERS:
        members(n)
        adder = Client()
        adder.force_login(members(n)[0][0])
        committed(adder.post, "/accounts/email/", {"email": f"new{n}@example.org", "action_add": ""})
        link = urlsplit(re.search(r"https?://\S+/accounts/confirm-email/\S+/", mailoutbox[-1].body)[0]).path
        # GET only shows the button: the address, whether another account holds it, its user.
        with django_assert_num_queries(3, info=f"confirm-email link, {n} members"):
            assert Client().get(link).status_code == 200


def test_the_sign_in_code_page_makes_the_same_queries_however_many_members(
    members, committed, django_assert_num_queries
):
    for n in MEMBERS:
        members(n)
        visitor = Client()
        committed(visitor.post, "/accounts/login/code/", {"email": "member0@example.org"})
        # The session that holds the pending sign-in, and the user it is for.
        with django_assert_num_queries(2, info=f"code form, {n} members"):
            assert visitor.get("/accounts/login/code/confirm/").status_code == 200
