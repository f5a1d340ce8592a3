"""Share cards: the Open Graph images social sites show when someone links the letter or the list."""

import logging
from functools import lru_cache
from io import BytesIO

from anyascii import anyascii
from PIL import Image, ImageDraw, ImageFont

logger = logging.getLogger(__name__)

WIDTH, HEIGHT = 1200, 630
MARGIN = 72
INK, PAPER, ACCENT, MUTED = "#1b1b1b", "#fbf8f1", "#b3261e", "#5c5c5c"


@lru_cache(maxsize=16)
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


def _wrap(draw, text, font, width, max_lines):
    """Words on lines no wider than `width`; an ellipsis ends what does not fit in `max_lines`."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=font) <= width or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        while lines[-1] and draw.textlength(lines[-1] + "…", font=font) > width:
            lines[-1] = lines[-1][:-1]
        lines[-1] = lines[-1].rstrip() + "…"
    return lines


def share_card_png(*, kicker, title, figure, caption, footer, font_path):
    """A 1200×630 PNG: a small heading, a title of up to three lines, a big figure with its caption, a footer."""
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 16, HEIGHT), fill=ACCENT)
    text_width = WIDTH - 2 * MARGIN

    def text(xy, value, size, fill):
        font, draws_unicode = _font(font_path, size)
        draw.text(xy, value if draws_unicode else anyascii(value), font=font, fill=fill)

    def lines(value, size, max_lines):
        font, draws_unicode = _font(font_path, size)
        return _wrap(draw, value if draws_unicode else anyascii(value), font, text_width, max_lines)

    text((MARGIN, 56), kicker.upper(), 30, ACCENT)
    for n, line in enumerate(lines(title, 50, max_lines=3)):
        text((MARGIN, 108 + 62 * n), line, 50, INK)
    text((MARGIN, 300), figure, 150, ACCENT)
    for line in lines(caption, 44, max_lines=1):
        text((MARGIN, 470), line, 44, INK)
    text((MARGIN, HEIGHT - 70), footer, 30, MUTED)

    out = BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
