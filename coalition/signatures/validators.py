import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# What mail programs turn into a link. Dots alone are not: "will.i.am" and "J.K. Simmons" are names.
_LINK_MARKS = ("http:", "https:", "www.", "@")


def validate_person_name(value):
    """Refuse a name that carries a link or an email address. Names are mailed from the coalition's address to
    whatever address was typed: "Claim your prize at www.…" would be an attacker's mail in our name.

    Compared after NFKC and case folding, without the joiners names may keep, so that full-width letters
    ("ｗｗｗ．", "＠") or a joiner inside "ht\u200dtp:" do not slip through."""
    folded = unicodedata.normalize("NFKC", value).replace("\u200c", "").replace("\u200d", "").casefold()
    if any(mark in folded for mark in _LINK_MARKS):
        raise ValidationError(_("Please enter a name without a web or email address."), code="link_in_name")
