"""Wrong passwords lock an account from the network they came from, not from everywhere: nobody can lock an organiser
out by guessing at their address from elsewhere."""

import pytest
from django.test import Client

from tests.accounts.conftest import ORGANISER_PASSWORD

TOO_MANY = "Too many failed login attempts"


@pytest.fixture(autouse=True)
def quick_password_hashing(settings):
    """Dozens of password checks per test: the strength of the hash is not what these tests are about."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def sign_in(client, password):
    return client.post("/accounts/login/", {"login": "organiser@example.org", "password": password})


def password_accepted(response):
    # The organiser's password is right: next comes their authenticator app's code.
    return response.status_code == 302 and response.url == "/accounts/2fa/authenticate/"


def test_wrong_passwords_from_one_address_lock_that_address_out_not_the_organiser(organiser_account):
    organiser_account()
    attacker = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(5):
        refused = sign_in(attacker, "a-wrong-guess-123")
        assert refused.status_code == 200 and "The email address and/or password you specified are not correct" in (
            refused.text
        )
    locked = sign_in(attacker, ORGANISER_PASSWORD)
    assert locked.status_code == 200 and TOO_MANY in locked.text, "even the right password, from there"

    organiser = Client(REMOTE_ADDR="203.0.113.20")
    assert password_accepted(sign_in(organiser, ORGANISER_PASSWORD))


def test_an_ipv6_network_is_locked_as_one(organiser_account):
    organiser_account()
    for host in range(1, 6):
        sign_in(Client(REMOTE_ADDR=f"2001:db8:1:2::{host}"), "a-wrong-guess-123")
    assert TOO_MANY in sign_in(Client(REMOTE_ADDR="2001:db8:1:2::99"), ORGANISER_PASSWORD).text
    assert password_accepted(sign_in(Client(REMOTE_ADDR="2001:db8:1:3::1"), ORGANISER_PASSWORD))


def test_right_passwords_do_not_count_toward_the_lockout_and_do_not_clear_it(organiser_account):
    organiser_account()
    office = Client(REMOTE_ADDR="203.0.113.20")
    for _ in range(4):
        sign_in(office, "a-wrong-guess-123")
    for _ in range(3):
        assert password_accepted(sign_in(Client(REMOTE_ADDR="203.0.113.20"), ORGANISER_PASSWORD))
    assert TOO_MANY not in sign_in(office, "a-wrong-guess-123").text, "the fifth failure"
    assert TOO_MANY in sign_in(office, ORGANISER_PASSWORD).text


def test_one_address_guessing_at_many_accounts_is_stopped(organiser_account):
    organiser_account()
    sprayer = Client(REMOTE_ADDR="198.51.100.7")
    for n in range(10):
        sprayer.post("/accounts/login/", {"login": f"someone{n}@example.org", "password": "a-wrong-guess-123"})
    assert TOO_MANY in sign_in(sprayer, ORGANISER_PASSWORD).text
    assert password_accepted(sign_in(Client(REMOTE_ADDR="203.0.113.20"), ORGANISER_PASSWORD))
