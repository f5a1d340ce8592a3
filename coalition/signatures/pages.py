"""Words and links for the public pages: each craft's pitch on its landing page, the share intents."""

from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Craft

# How each craft is named as a group, for titles ("Actors · an open letter").
CRAFT_PLURALS = {
    Craft.ACTOR: gettext_lazy("Actors"),
    Craft.DIRECTOR: gettext_lazy("Directors"),
    Craft.WRITER: gettext_lazy("Writers"),
    Craft.YOUTUBER: gettext_lazy("YouTubers"),
    Craft.PODCASTER: gettext_lazy("Podcasters"),
    Craft.NEWSLETTER: gettext_lazy("Newsletter authors"),
    Craft.TECHNICIAN: gettext_lazy("Film and TV technicians"),
    Craft.MUSICIAN: gettext_lazy("Musicians"),
    Craft.VISUAL_ARTIST: gettext_lazy("Visual artists"),
    Craft.OTHER: gettext_lazy("Creators of every kind"),
}

CRAFT_PITCHES = {
    Craft.ACTOR: gettext_lazy("Your face, your voice and your performances are your work. No one should copy them."),
    Craft.DIRECTOR: gettext_lazy("A film is a thousand choices. A model trained on yours should have asked first."),
    Craft.WRITER: gettext_lazy(
        "Scripts, novels and articles are being fed to machines without a word to those who wrote them."
    ),
    Craft.YOUTUBER: gettext_lazy(
        "Years of videos, your voice and your style: scraped in an afternoon, never paid for."
    ),
    Craft.PODCASTER: gettext_lazy("Your voice is your show. Cloning it without consent is taking it."),
    Craft.NEWSLETTER: gettext_lazy("Your archive is your livelihood, not free training data."),
    Craft.TECHNICIAN: gettext_lazy(
        "Lighting, editing, sound, make-up, effects: crafts learned over careers deserve a say."
    ),
    Craft.MUSICIAN: gettext_lazy("Songs, stems and voices are being used to train the machines that compete with you."),
    Craft.VISUAL_ARTIST: gettext_lazy("Your style took a lifetime. A prompt should not take it for free."),
    Craft.OTHER: gettext_lazy("If your work can be copied by a machine, this letter is for you."),
}


def share_links(*, url):
    """Plain links to each network's share page: no third-party script on our pages, nothing tracked."""
    text = _("I signed the open letter of the Creators Coalition on AI: consent first. Creators, sign it too:")
    subject = _("An open letter from creators on AI")
    return [
        ("Bluesky", "https://bsky.app/intent/compose?" + urlencode({"text": f"{text} {url}"})),
        ("X", "https://twitter.com/intent/tweet?" + urlencode({"text": text, "url": url})),
        ("Facebook", "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url})),
        ("LinkedIn", "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url})),
        ("WhatsApp", "https://wa.me/?" + urlencode({"text": f"{text} {url}"})),
        (_("Email"), "mailto:?" + urlencode({"subject": subject, "body": f"{text}\n\n{url}"}).replace("+", "%20")),
    ]
