"""How names are compared with the watchlist: by what they look like, not by the code points typed.

A faker writes "Natalie Рortman" with a Cyrillic Р, "Nata1ie", "Portrnan", "NataliePortman" or "Natalie Portmann".
Each name is reduced to its Unicode TR39 confusable skeleton (ICU's SpoofChecker, whose data Unicode maintains),
after NFKC, case folding and removing marks, so that letters which look alike compare equal; near misses (one edit
in a word, words joined or split) are caught on top. Matching errs towards a review: a false alarm costs an
organiser a click, a miss puts a fake famous name on the public list.
"""

import re
import unicodedata
from functools import lru_cache
from itertools import permutations

import icu
from rapidfuzz.distance import Levenshtein

# ICU documents a configured SpoofChecker as safe to share between threads.
_SKELETONS = icu.SpoofChecker()
_SCRIPTS = icu.SpoofChecker()
_SCRIPTS.setChecks(icu.USpoofChecks.RESTRICTION_LEVEL)
# Latin with Cyrillic, Greek or Cherokee in one word fails; Japanese (Han with kana) and Korean mixes pass.
_SCRIPTS.setRestrictionLevel(icu.URestrictionLevel.HIGHLY_RESTRICTIVE)

# A word shorter than this must match exactly: one edit in "Al" or "Lee" is another name.
NEAR_MISS_MIN_LENGTH = 4


def _plain(text):
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text))
    # Marks go, and so do format characters (zero-width joiners, soft hyphens): invisible, they must not hide a word.
    kept = (c for c in text if not unicodedata.combining(c) and unicodedata.category(c) != "Cf")
    return unicodedata.normalize("NFC", "".join(kept))


def _stable(text):
    # A skeleton's prototype may itself fold to something else ("0" -> "O" -> "o"): repeat until nothing changes.
    for _ in range(4):
        folded = _plain(_SKELETONS.getSkeleton(0, text)).casefold()
        if folded == text:
            break
        text = folded
    return text


@lru_cache(maxsize=8192)
def _letter(char):
    # TR39 skeletons are case-sensitive: folded first, Cyrillic "в" is the small capital "ʙ", while its capital "В"
    # is "B". A name compares without case, so the first of these that is plain Latin wins.
    spellings = [_stable(char.casefold()), _stable(char), _stable(char.upper())]
    return next((s for s in spellings if s.isascii()), spellings[0])


def skeleton(text):
    """The TR39 skeleton of a name without case or marks: "P0RTMAN", "Роrtman" and "Portrnan" give "portrnan"
    (TR39's prototype of "m" is "rn")."""
    return "".join(_letter(char) for char in _plain(text))


# Words that say nothing about who someone is: titles and suffixes are dropped, as are initials.
_IGNORED_WORDS = {
    skeleton(word) for word in ("dr", "mr", "mrs", "ms", "mx", "sir", "dame", "lord", "lady", "prof", "jr", "sr")
} | {"ii", "iii"}


def name_words(name):
    """The words of a name as matching sees them, in the order written: skeletons, without titles and initials."""
    return tuple(w for w in re.findall(r"[^\W_]+", skeleton(name)) if len(w) > 1 and w not in _IGNORED_WORDS)


def name_skeleton(name):
    """What is stored beside a signature, so that a name added to the watchlist finds the look-alikes signed before."""
    return " ".join(name_words(name))[:200]


def name_key(name):
    """One spelling per watchlisted name: "Taika Waititi" == "WAITITI, taïka" == "Taika Waıtıtı"."""
    return " ".join(sorted(set(name_words(name))))[:200]


def has_mixed_scripts(name):
    """True when one word mixes scripts as a disguise does (Latin with Cyrillic or Greek look-alikes)."""
    return any(_SCRIPTS.check(word) for word in re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", name)))


def _near(typed, listed):
    if len(listed) < NEAR_MISS_MIN_LENGTH:
        return typed == listed
    return Levenshtein.distance(typed, listed, score_cutoff=1) <= 1


def looks_like(words, listed):
    """True when the name's `words` (name_words) look like the watchlisted name's words `listed`.

    Every listed word appears, or one edit away (middle names, titles, order and initials do not hide a name), or
    the listed words run together or apart ("NataliePortman", "Port Man") with at most one edit.
    """
    if not listed:
        return False
    if all(any(_near(word, wanted) for word in words) for wanted in listed):
        return True
    if len(listed) > 4:
        return False
    spellings = {"".join(order) for order in permutations(listed)}
    runs = {"".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)}
    return any(_near(run, spelling) for run in runs for spelling in spellings)


def search_fragments(listed):
    """For each listed word, two halves of which any spelling one edit away keeps at least one intact: a database
    can narrow the stored skeletons to those that contain one half of every word, before looks_like decides."""
    fragments = []
    for word in listed:
        if len(word) < NEAR_MISS_MIN_LENGTH:
            fragments.append((word,))
        else:
            half = len(word) // 2
            fragments.append((word[:half], word[half:]))
    return fragments
