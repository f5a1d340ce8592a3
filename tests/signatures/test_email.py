"""Addresses are checked by email-validator, its domain check remembered per domain (a quarter of the sign form's CPU):
the memo must be in place and change no outcome."""

import importlib

import email_validator
import pytest

from coalition.signatures.services import email_normalise

MODULE = importlib.import_module("email_validator.validate_email")

ADDRESSES = [
    "ada@example.org",
    "Ada.Lovelace@Example.ORG",
    "  ada@example.org  ",
    "ada@münchen.de",
    "ada@xn--mnchen-3ya.de",
    "ada@MÜNCHEN.DE",
    "ada@exa mple.org",
    "ada@example..org",
    "ada@-example.org",
    "ada@example.org.",
    "ada@example",
    "ada@localhost",
    "ada@example.123",
    "ada@" + "a" * 64 + ".org",
    "ada@" + ".".join(["abcdefghi"] * 30) + ".org",
    "a" * 250 + "@example.org",
    "ada@exa\u202emple.org",
    "ada@[127.0.0.1]",
    "ada@",
    "@example.org",
    "ada@ex_ample.org",
    "ada@пример.рф",
]


def _outcome(raw):
    try:
        return email_normalise.__wrapped__(raw)
    except ValueError as error:
        return ("refused", str(error))


def test_each_domain_is_checked_once_per_process():
    memo = MODULE.validate_email_domain_name
    assert hasattr(memo, "cache_info"), "email-validator's domain check is no longer remembered"
    memo.cache_clear()
    email_normalise.__wrapped__("ada@once.example.org")
    email_normalise.__wrapped__("grace@once.example.org")
    assert memo.cache_info().hits == 1
    assert memo.cache_info().misses == 1


@pytest.mark.parametrize("raw", ADDRESSES)
def test_an_address_is_judged_as_email_validator_judges_it_without_the_memo(raw, monkeypatch):
    memo = MODULE.validate_email_domain_name
    remembered = [_outcome(raw), _outcome(raw)]  # the second from the memo, when the domain passed
    monkeypatch.setattr(MODULE, "validate_email_domain_name", memo.__wrapped__)
    assert remembered == [_outcome(raw)] * 2


def test_a_domain_made_special_use_after_it_was_accepted_is_refused(monkeypatch):
    assert _outcome("ada@corp.example.org") == "ada@corp.example.org"
    monkeypatch.setattr(
        email_validator, "SPECIAL_USE_DOMAIN_NAMES", [*email_validator.SPECIAL_USE_DOMAIN_NAMES, "example.org"]
    )
    assert _outcome("grace@corp.example.org")[0] == "refused"
