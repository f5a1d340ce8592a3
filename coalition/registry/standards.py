"""A declaration in the forms AI crawlers and licensing teams read.

- W3C TDMRep (TDM Reservation Protocol, Community Group final report, 10 May 2024): `tdm-reservation` 1 or 0 and an
  optional `tdm-policy` URL, as HTTP headers, HTML <meta> or the site's /.well-known/tdmrep.json; the policy itself
  an ODRL Offer (profile http://www.w3.org/ns/tdmrep, action tdm:mine, duty obtainConsent).
- IETF AI preferences: the vocabulary of draft-ietf-aipref-vocab-08 (values the tokens y and n in an RFC 9651
  Structured Fields dictionary) attached by draft-ietf-aipref-attach-05 as the `Content-Usage` HTTP header and a
  `Content-Usage` robots.txt rule. We write its `train-ai` (training of generative models, in -08) and `search`;
  its third label, `ai-use` (an asset as a generative model's input, e.g. retrieval), is not a use the registry
  asks about, so it is left unstated ("unknown"). -08 has no label for non-generative training or for other text
  and data mining: TDMRep carries those.
- robots.txt groups for the AI crawlers named in data/ai_crawlers.json (one maintained list, dated).
"""

import json
from functools import cache
from pathlib import Path

import http_sf
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .models import Stance, TrainingScope

AIPREF_VOCAB_DRAFT = "draft-ietf-aipref-vocab-08"
AIPREF_ATTACH_DRAFT = "draft-ietf-aipref-attach-05"
TDMREP_SPEC = "https://www.w3.org/community/reports/tdmrep/CG-FINAL-tdmrep-20240510/"
CRAWLERS_FILE = Path(__file__).parent / "data" / "ai_crawlers.json"


@cache
def crawler_list():
    return json.loads(CRAWLERS_FILE.read_text())


def crawlers_for(purpose):
    return [c["token"] for c in crawler_list()["crawlers"] if c["purpose"] == purpose]


def reserved(stance):
    # Licensed on request is a reservation to the crawler: ask first.
    return stance != Stance.ALLOWED


def content_usage(stances):
    """The Content-Usage dictionary for {training, search, ...}: `train-ai=n, search=y`."""
    preferences = {
        "train-ai": http_sf.Token("n" if reserved(stances["training"]) else "y"),
        "search": http_sf.Token("n" if reserved(stances["search"]) else "y"),
    }
    return http_sf.ser(preferences)


def _tdmrep_uses(stances):
    """The stances TDMRep's one word speaks for: other mining, and training when it is all AI training (TDMRep's
    TDM covers every kind of mining and training alike)."""
    uses = [stances["tdm"]]
    if stances.get("training_scope", TrainingScope.ALL) == TrainingScope.ALL:
        uses.append(stances["training"])
    return uses


def tdm_reservation(stances):
    """TDMRep's tdm-reservation: 1 when any use it speaks for is reserved; None (left unset) when only generative
    training is reserved, which it cannot say and a 0 ("mine without asking") would undercut (Content-Usage's
    train-ai, generative training in -08, and the crawlers refused say it); else 0. Training allowed with other
    mining reserved is a 1: TDMRep has no word for the difference, and reserving is the safer reading."""
    if any(reserved(stance) for stance in _tdmrep_uses(stances)):
        return 1
    return None if reserved(stances["training"]) else 0


def tdm_policy_wanted(stances):
    """A licensing policy (obtain consent) only when every use the reservation speaks for is licensed on request:
    an offer to license a use the member reserved outright would contradict them."""
    reserved_uses = [stance for stance in _tdmrep_uses(stances) if reserved(stance)]
    return bool(reserved_uses) and all(stance == Stance.LICENSED for stance in reserved_uses)


def blocked_crawlers(stances):
    """{purpose: [crawler tokens]} a robots.txt should refuse for these stances."""
    blocked = {}
    if reserved(stances["training"]):
        blocked["training"] = crawlers_for("training")
    if reserved(stances["search"]):
        blocked["search"] = crawlers_for("search")
    if reserved(stances["tdm"]):
        blocked["tdm"] = crawlers_for("tdm")
    return blocked


PURPOSE_COMMENTS = {
    "training": lambda: _("AI training crawlers"),
    "search": lambda: _("AI search and answer crawlers"),
    "tdm": lambda: _("Other text and data mining crawlers"),
}


def robots_block(stances, *, declared_at=""):
    """The lines to add to a robots.txt: one group per purpose refused, then the Content-Usage rule for all."""
    listed = crawler_list()["checked_on"]
    lines = [
        "# " + _("AI use of this site, as declared in the Creators Coalition on AI consent registry."),
        "# " + _("Crawler list checked on %(date)s.") % {"date": listed},
    ]
    if declared_at:
        lines.append("# " + _("Declared at: %(url)s") % {"url": declared_at})
    usage = f"Content-Usage: / {content_usage(stances)}"
    for purpose, tokens in blocked_crawlers(stances).items():
        lines.append("")
        lines.append(f"# {PURPOSE_COMMENTS[purpose]()}")
        lines.extend(f"User-agent: {token}" for token in tokens)
        # Preferences belong to groups (draft-ietf-aipref-attach-05): a crawler with a group of its own reads
        # only that group's.
        lines += ["Disallow: /", usage]
    # An empty Disallow refuses nothing: added to a robots.txt whose own "User-agent: *" group refuses things, it
    # changes none of them (an "Allow: /" here would, the groups being merged).
    lines += ["", "User-agent: *", "Disallow:", usage]
    return "\n".join(lines) + "\n"


def tdmrep_json(stances, *, policy_url=""):
    """The /.well-known/tdmrep.json for the member's site: one rule for the whole site."""
    reservation = tdm_reservation(stances)
    if reservation is None:
        return []  # no rule: the reservation is unset
    rule = {"location": "/", "tdm-reservation": reservation}
    if policy_url and tdm_policy_wanted(stances):
        rule["tdm-policy"] = policy_url
    return [rule]


def tdm_policy(*, uid, assigner_url, name, contact, stances):
    """The TDMRep policy (ODRL Offer): mining permitted once consent is obtained from the rightsholder."""
    assigner = {"uid": assigner_url, "vcard:fn": name}
    if contact:
        if "@" in contact and "://" not in contact:
            assigner["vcard:hasEmail"] = f"mailto:{contact}"
        else:
            assigner["vcard:hasURL"] = contact
    else:
        assigner["vcard:hasURL"] = assigner_url
    permission = {"action": "tdm:mine", "duty": [{"action": "obtainConsent"}]}
    return {
        "@context": ["http://www.w3.org/ns/odrl.jsonld", {"tdm": "http://www.w3.org/ns/tdmrep#"}],
        "@type": "Offer",
        "profile": "http://www.w3.org/ns/tdmrep",
        "uid": uid,
        "assigner": assigner,
        "permission": [permission],
    }


def html_meta(stances, *, policy_url=""):
    if tdm_reservation(stances) is None:
        return ""
    lines = [f'<meta name="tdm-reservation" content="{tdm_reservation(stances)}">']
    if policy_url and tdm_policy_wanted(stances):
        lines.append(f'<meta name="tdm-policy" content="{policy_url}">')
    return "\n".join(lines)


def http_headers(stances, *, policy_url=""):
    lines = [] if tdm_reservation(stances) is None else [f"tdm-reservation: {tdm_reservation(stances)}"]
    if policy_url and tdm_policy_wanted(stances):
        lines.append(f"tdm-policy: {policy_url}")
    lines.append(f"Content-Usage: {content_usage(stances)}")
    return "\n".join(lines)


def declaration_urls(declaration):
    """Absolute addresses of a declaration's public forms (English addresses: they are for machines)."""
    with translation.override("en"):
        page = reverse("registry:declaration", args=[declaration.public_id])
        policy = reverse("registry:tdm_policy", args=[declaration.public_id])
        data = reverse("registry:declaration_json", args=[declaration.public_id])
    return {
        "page": settings.SITE_URL + page,
        "tdm_policy": settings.SITE_URL + policy,
        "json": settings.SITE_URL + data,
    }


def snippets(declaration):
    """Everything the member copies to their own site, as text."""
    stances = declaration.stances()
    urls = declaration_urls(declaration)
    policy_url = urls["tdm_policy"] if tdm_policy_wanted(stances) else ""
    return {
        "tdmrep_json": json.dumps(tdmrep_json(stances, policy_url=policy_url), indent=2),
        "html_meta": html_meta(stances, policy_url=policy_url),
        "http_headers": http_headers(stances, policy_url=policy_url),
        "robots_txt": robots_block(stances, declared_at=urls["page"]),
        "content_usage": content_usage(stances),
    }


# The coalition's own site: its texts are the coalition's, reserved from AI training and mining, open to search.
COALITION_STANCES = {
    "training": Stance.RESERVED,
    "training_scope": TrainingScope.ALL,
    "search": Stance.ALLOWED,
    "tdm": Stance.RESERVED,
}
