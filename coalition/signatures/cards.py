"""Share cards: the Open Graph images social sites show when someone links the letter or the list."""

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO

from anyascii import anyascii
from PIL import Image, ImageDraw, ImageFont

logger = logging.getLogger(__name__)

WIDTH, HEIGHT = 1200, 630
MARGIN = 72
TEXT_WIDTH = WIDTH - 2 * MARGIN
INK, PAPER, ACCENT, MUTED = "#1b1b1b", "#fbf8f1", "#b3261e", "#5c5c5c"
LINE_PITCH = 1.24  # line to line, as a multiple of the font size

# Each text's band on the card, top to bottom: (top, height, largest font size, smallest font size, colour). A text
# is drawn at the largest size at which it fits its band, wrapped onto as many lines as the band holds; only what
# does not fit even at the smallest size is cut, with an ellipsis.
KICKER = (48, 50, 30, 18, ACCENT)
TITLE = (104, 186, 50, 32, INK)
FIGURE = (294, 176, 150, 60, ACCENT)
CAPTION = (474, 76, 44, 26, INK)
FOOTER = (556, 44, 30, 18, MUTED)


@dataclass(frozen=True)
class Line:
    """One line of a card as it is drawn: its text, the top-left corner of its line box, its font size, its colour."""

    text: str
    x: int
    y: int
    size: int
    fill: str


@lru_cache(maxsize=256)  # every size a text is tried at, for the few sizes each band spans
def _font(path, size):
    """The configured TrueType font (DejaVu Sans from Debian's fonts-dejavu-core by default), else Pillow's bundled
    font, which is on every machine but draws only ASCII: its text is transliterated ("créateurs" → "createurs")
    rather than shown as empty boxes. Returns (font, draws_unicode)."""
    if path:
        try:
            return ImageFont.truetype(path, size), True
        except OSError:
            logger.warning("share cards: font %s not found, using Pillow's bundled font", path)
    return ImageFont.load_default(size=size), False


def _cut(text, font, width):
    """`text` shortened to fit `width`, an ellipsis showing where."""
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _wrap(text, font, width, max_lines):
    """Words on at most `max_lines` lines no wider than `width`, and whether all of `text` is on them. Words break
    at any whitespace but the no-break spaces, which keep their words together ("1 295", "d'abord :")."""
    lines, line = [], ""
    # Any other whitespace (a line break, a paragraph separator pasted from a word processor) is a break too, never
    # drawn; other control characters are dropped (the text shaper refuses some of them outright).
    text = "".join(char for char in text if char.isspace() or unicodedata.category(char) != "Cc")
    for word in re.split(r"[^\S\u00a0\u2007\u202f]+", text):
        if not word:
            continue
        candidate = f"{line} {word}" if line else word
        if font.getlength(candidate) <= width or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    complete = len(lines) <= max_lines and all(font.getlength(line) <= width for line in lines)
    if not complete:
        cut = len(lines) > max_lines
        lines = lines[:max_lines]
        lines = [_cut(line, font, width) if font.getlength(line) > width else line for line in lines]
        if cut and not lines[-1].endswith("…"):
            lines[-1] = _cut(lines[-1], font, width)
    return lines, complete


def _fit(text, band, font_path):
    """The lines of `text` in its band: at the largest size at which all of it fits, else cut at the smallest."""
    top, height, largest, smallest, fill = band
    for size in range(largest, smallest - 1, -1):
        font, draws_unicode = _font(font_path, size)
        ascent, descent = font.getmetrics()
        pitch = round(size * LINE_PITCH)
        max_lines = max(1, (height - ascent - descent) // pitch + 1)
        lines, complete = _wrap(text if draws_unicode else anyascii(text), font, TEXT_WIDTH, max_lines)
        if complete:
            break
    return [Line(line, MARGIN, top + pitch * n, size, fill) for n, line in enumerate(lines)]


def card_layout(*, kicker, title, figure, caption, footer, font_path):
    """The lines a card draws: a small heading, the title, a big figure with its caption, a footer, each within
    the card's margins and its own band."""
    return [
        *_fit(kicker.upper(), KICKER, font_path),
        *_fit(title, TITLE, font_path),
        *_fit(figure, FIGURE, font_path),
        *_fit(caption, CAPTION, font_path),
        *_fit(footer, FOOTER, font_path),
    ]


def share_card_png(*, kicker, title, figure, caption, footer, font_path):
    """A 1200×630 PNG of the card's layout (card_layout)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 16, HEIGHT), fill=ACCENT)
    layout = card_layout(kicker=kicker, title=title, figure=figure, caption=caption, footer=footer, font_path=font_path)
    for line in layout:
        draw.text((line.x, line.y), line.text, font=_font(font_path, line.size)[0], fill=line.fill)
    out = BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
