"""Addresses are checked and normalised by email-validator: one spelling per address, a clear refusal otherwise."""

import pytest

from coalition.signatures.services import email_normalise


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("ada@example.org", "ada@example.org"),
        ("Ada.Lovelace@Example.ORG", "ada.lovelace@example.org"),
        ("  ada@example.org  ", "ada@example.org"),
        ("ada@münchen.de", "ada@xn--mnchen-3ya.de"),
        ("ada@xn--mnchen-3ya.de", "ada@xn--mnchen-3ya.de"),
        ("ada@MÜNCHEN.DE", "ada@xn--mnchen-3ya.de"),
        ("ada@пример.рф", "ada@xn--e1afmkfd.xn--p1ai"),
    ],
)
def test_each_address_has_one_spelling(raw, stored):
    assert email_normalise(raw) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "ada@exa mple.org",
        "ada@example..org",
        "ada@-example.org",
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
    ],
)
def test_what_is_not_an_address_is_refused(raw):
    with pytest.raises(ValueError):
        email_normalise(raw)
