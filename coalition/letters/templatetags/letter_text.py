import re

from django import template

register = template.Library()

# "1. Consent before training. No one's work ..." — a numbered demand, its short title, then its text.
_POINT = re.compile(r"^(?P<number>\d{1,2})\.\s+(?P<title>[^.]+\.)\s+(?P<text>.+)$", re.DOTALL)


@register.filter
def letter_point(paragraph):
    """The parts of a numbered paragraph of the letter, or None for an ordinary paragraph."""
    match = _POINT.match(paragraph)
    return match.groupdict() if match else None
