"""Writes of the consent registry: places proven, declarations made, changed, withdrawn, hidden."""

import secrets
import unicodedata
from datetime import timedelta
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coalition.signatures.channel_proofs import CHANNEL_PROOF_PREFIX
from coalition.signatures.models import ChannelProof, Signature

from .coverage import is_ip_literal, normal_host, place_key
from .models import (
    CONTACT_MAX_LENGTH,
    USES,
    Declaration,
    DeclarationAudit,
    DeclarationVersion,
    Place,
    Stance,
    TrainingScope,
)
from .tasks import check_place, check_site

PLACE_TOKEN_PREFIX = CHANNEL_PROOF_PREFIX  # one prefix for every proof the site gives
PLACE_CHECK_COOLDOWN = timedelta(minutes=1)
PLACES_PER_MEMBER = 20
HOST_KEY_MAX = 260  # a name of 253 characters and a port
PATH_KEY_MAX = 600
# Who may declare: a signature that counts (confirmed or verified). Held ones wait for an organiser first.
DECLARING_STATUSES = Signature.LISTED_STATUSES


class RegistryError(Exception):
    """What a member asked for cannot be done; the message is for them, in their language."""


def _place_fields(url, method):
    host, path = place_key(url, whole_domain=method == Place.Method.DNS)
    if len(host) > HOST_KEY_MAX or len(path) > PATH_KEY_MAX:
        # Percent-encoding makes a path up to three times as long as typed.
        raise RegistryError(_("That address is too long (500 characters at most)."))
    return {"url": url, "host": host, "path": path}


def _invisible(text):
    """Characters that do not show, or that reorder what is shown (right-to-left overrides, zero-width joiners):
    an address holding them reads as another one."""
    return any(char.isspace() or unicodedata.category(char) in ("Cc", "Cf") for char in text)


def _http_url_parts(url):
    """The parts of an http or https URL Django's validator accepts, on a real port; ValueError otherwise (the
    caller says what is wrong in its own words)."""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValueError("not an http(s) URL") from None
    parts = urlsplit(url)  # the port is checked only when asked
    if parts.port == 0:
        raise ValueError("port 0")
    return parts


def _by_name(parts):
    """The address names its host by a domain name, not a bare network address or a one-label name."""
    host = parts.hostname or ""
    return not is_ip_literal(host) and "." in host


def place_url_clean(url, method):
    """The place as stored: an http(s) URL; a domain for a DNS proof becomes https://domain/."""
    url = (url or "").strip()
    if not url:
        raise RegistryError(_("Give the address of your channel or site."))
    if len(url) > 500:
        raise RegistryError(_("That address is too long (500 characters at most)."))
    if _invisible(url):
        raise RegistryError(_("Give a full http or https address, such as https://example.org/."))
    if method == Place.Method.DNS and "://" not in url:
        url = f"https://{url.strip('/')}/"
    try:
        parts = _http_url_parts(url)
    except ValueError:
        raise RegistryError(_("Give a full http or https address, such as https://example.org/.")) from None
    if parts.username or parts.password:
        raise RegistryError(_("An address with a user name or password cannot be checked."))
    if not _by_name(parts):
        if method == Place.Method.DNS:
            raise RegistryError(_("A DNS proof is for a domain name, such as example.org."))
        raise RegistryError(_("Give the address by its domain name, such as https://example.org/, not a number."))
    url = url.split("#", 1)[0]
    if method == Place.Method.DNS:
        url = f"https://{normal_host(parts.hostname)}/"
    return url


def declarable_signature(signatures):
    """The signature a member declares with: the one that already holds their declaration or places, else their
    newest that counts; None if none counts."""
    counting = [s for s in signatures if s.status in DECLARING_STATUSES]
    holding = set(Declaration.objects.filter(signature__in=counting).values_list("signature_id", flat=True))
    holding |= set(Place.objects.filter(signature__in=counting).values_list("signature_id", flat=True))
    return next((s for s in counting if s.pk in holding), counting[0] if counting else None)


def _lock(signature):
    """One change at a time per member: two submissions at once (a double click) queue here instead of colliding
    on the database's unique constraints."""
    Signature.objects.select_for_update().filter(pk=signature.pk).first()


def _declaration_for(signature):
    declaration = Declaration.objects.select_for_update().filter(signature=signature).first()
    if declaration is None:
        declaration = Declaration.objects.create(
            signature=signature,
            public_id=secrets.token_hex(6),
            training=Stance.RESERVED,
            search=Stance.ALLOWED,
            tdm=Stance.RESERVED,
            updated_at=timezone.now(),
        )
    return declaration


@transaction.atomic
def declaration_draft(*, signature):
    """The member's declaration row, created (unpublished, version 0) the first time they need its address: a
    rel="me" link points at it before anything is declared."""
    if signature.status not in DECLARING_STATUSES:
        raise RegistryError(_("Only a confirmed signature can make a declaration."))
    _lock(signature)
    return _declaration_for(signature)


def _room_for_a_place(signature):
    if Place.objects.filter(signature=signature).count() >= PLACES_PER_MEMBER:
        raise RegistryError(_("You have reached the limit of places; remove one first."))


@transaction.atomic
def place_add(*, signature, url, method):
    """Name a place to prove; the check runs after commit."""
    if signature.status not in DECLARING_STATUSES:
        raise RegistryError(_("Only a confirmed signature can add places."))
    if method not in Place.Method.values:
        raise RegistryError(_("Choose how to prove the place from the list."))
    url = place_url_clean(url, method)
    fields = _place_fields(url, method)
    _lock(signature)
    # The same place however it is spelt (HTTPS://Example.org/ and https://example.org/).
    if Place.objects.filter(signature=signature, host=fields["host"], path=fields["path"]).exists():
        raise RegistryError(_("That place is already on your list."))
    _room_for_a_place(signature)
    _declaration_for(signature)  # a rel="me" proof links to its page
    place = Place.objects.create(
        signature=signature,
        method=method,
        token=PLACE_TOKEN_PREFIX + secrets.token_urlsafe(16),
        **fields,
    )
    transaction.on_commit(lambda: check_place.delay(place.pk), robust=True)
    return place


def channel_proof_unused(signature):
    """The signature's verified channel proof (from "My signature"), if it is not a place here yet."""
    proof = ChannelProof.objects.filter(signature=signature, status=ChannelProof.Status.VERIFIED).first()
    if proof is None:
        return None
    host, path = place_key(proof.url.split("#", 1)[0], whole_domain=False)
    if Place.objects.filter(signature=signature, host=host, path=path).exists():
        return None
    return proof


@transaction.atomic
def place_from_channel_proof(*, signature):
    """The channel the member already proved on their signature page becomes a place, proven as it was: the same
    token on the same page, rechecked with the other places."""
    _lock(signature)
    proof = channel_proof_unused(signature)
    if proof is None:
        raise RegistryError(_("There is no proven channel to add."))
    _room_for_a_place(signature)
    _declaration_for(signature)
    return Place.objects.create(
        signature=signature,
        **_place_fields(proof.url.split("#", 1)[0], Place.Method.PAGE),
        method=Place.Method.PAGE,
        token=proof.token,
        status=Place.Status.VERIFIED,
        checked_at=proof.checked_at,
        verified_at=proof.verified_at,
    )


def place_check_enqueue(*, place):
    """Queue a check unless one ran a moment ago (a button pressed over and over fetches nothing more)."""
    # The first check runs as the place is added: "Check now" waits its turn too.
    if timezone.now() - (place.checked_at or place.created_at) < PLACE_CHECK_COOLDOWN:
        return False
    transaction.on_commit(lambda: check_place.delay(place.pk), robust=True)
    return True


def site_check_enqueue(*, declaration):
    """Read the member's site again, unless it was read a moment ago."""
    checked = declaration.site_checked_at
    if checked and timezone.now() - checked < PLACE_CHECK_COOLDOWN:
        return False
    transaction.on_commit(lambda: check_site.delay(declaration.pk), robust=True)
    return True


@transaction.atomic
def place_remove(*, signature, place_id):
    _lock(signature)
    place = Place.objects.filter(signature=signature, pk=place_id).first()
    if place is None:
        raise RegistryError(_("That place is not on your list."))
    declaration = Declaration.objects.select_for_update().filter(signature=signature).first()
    covered = declaration is not None and declaration.places.filter(pk=place.pk).exists()
    published = covered and declaration.version and declaration.withdrawn_at is None
    if published and declaration.places.count() == 1:
        raise RegistryError(_("Your declaration covers only this place: withdraw it, or cover another place first."))
    place.delete()
    if covered and declaration.version:
        # The published declaration no longer covers it: that is a new version.
        _version_write(declaration, withdrawn=declaration.withdrawn_at is not None)


def _contact_clean(contact):
    contact = (contact or "").strip()
    if not contact:
        return ""
    if _invisible(contact):
        raise RegistryError(_("The licensing contact must be an http or https address or an email address."))
    if len(contact) > CONTACT_MAX_LENGTH:
        raise RegistryError(
            _("The licensing contact is too long (%(n)d characters at most).") % {"n": CONTACT_MAX_LENGTH}
        )
    if "@" in contact and "://" not in contact:
        try:
            EmailValidator()(contact.removeprefix("mailto:"))
        except ValidationError:
            raise RegistryError(
                _("The licensing contact must be an http or https address or an email address.")
            ) from None
        return contact.removeprefix("mailto:")
    try:
        parts = _http_url_parts(contact)
    except ValueError:
        raise RegistryError(_("The licensing contact must be an http or https address or an email address.")) from None
    if parts.username or parts.password or not _by_name(parts):
        # Published as given: a link with a password, or to a bare network address, is no public contact.
        raise RegistryError(_("Give the licensing page by its domain name, without a user name or password."))
    return contact


def _version_write(declaration, *, withdrawn=False):
    now = timezone.now()
    declaration.version += 1
    declaration.updated_at = now
    declaration.save(update_fields=["version", "updated_at"])
    DeclarationVersion.objects.create(
        declaration=declaration,
        number=declaration.version,
        training="" if withdrawn else declaration.training,
        training_scope="" if withdrawn else declaration.training_scope,
        search="" if withdrawn else declaration.search,
        tdm="" if withdrawn else declaration.tdm,
        licensing_contact="" if withdrawn else declaration.licensing_contact,
        contact_public=False if withdrawn else declaration.contact_public,
        place_urls=[] if withdrawn else sorted(declaration.places.values_list("url", flat=True)),
        withdrawn=withdrawn,
        created_at=now,
    )


@transaction.atomic
def declaration_save(*, signature, training, training_scope, search, tdm, licensing_contact, contact_public, place_ids):
    """Publish the member's stance over the places they choose: a new version, the old ones kept."""
    if signature.status not in DECLARING_STATUSES:
        raise RegistryError(_("Only a confirmed signature can make a declaration."))
    stances = {"training": training, "search": search, "tdm": tdm}
    for use in USES:
        if stances[use] not in Stance.values:
            raise RegistryError(_("Choose one of the stances offered for each use."))
    if training_scope not in TrainingScope.values:
        raise RegistryError(_("Choose whether your training stance covers all AI or generative AI only."))
    contact = _contact_clean(licensing_contact)
    if Stance.LICENSED in stances.values() and not contact:
        raise RegistryError(_("Licensed on request needs a licensing contact: an address or a web page."))
    try:
        wanted = {int(pk) for pk in place_ids}
    except (TypeError, ValueError):
        raise RegistryError(_("Choose places from your list.")) from None
    _lock(signature)
    places = list(Place.objects.filter(signature=signature, pk__in=wanted))
    if len(places) != len(wanted):
        raise RegistryError(_("Choose places from your list."))
    if any(not place.verified for place in places):
        raise RegistryError(_("A place can be declared for only once it is proven to be yours."))
    if not places:
        raise RegistryError(_("Choose at least one proven place your declaration covers."))
    declaration = _declaration_for(signature)
    wanted_state = {
        "training": training,
        "training_scope": training_scope,
        "search": search,
        "tdm": tdm,
        "licensing_contact": contact,
        "contact_public": bool(contact_public and contact),
    }
    unchanged = (
        declaration.version
        and declaration.withdrawn_at is None
        and all(getattr(declaration, field) == value for field, value in wanted_state.items())
        and set(declaration.places.values_list("pk", flat=True)) == {p.pk for p in places}
    )
    if unchanged:
        # The same form sent twice (a double click, a reload): no new version, no new reading of their site.
        return declaration
    for field, value in wanted_state.items():
        setattr(declaration, field, value)
    declaration.withdrawn_at = None
    declaration.save()
    declaration.places.set(places)
    _version_write(declaration)
    if not site_check_enqueue(declaration=declaration):
        # Read a moment ago, for the version before: due again at the next periodic round (hourly), not now.
        Declaration.objects.filter(pk=declaration.pk).update(site_checked_at=None)
    return declaration


@transaction.atomic
def declaration_withdraw(*, signature):
    _lock(signature)
    declaration = Declaration.objects.select_for_update().filter(signature=signature).first()
    if declaration is None or not declaration.version or declaration.withdrawn_at:
        raise RegistryError(_("You have no declaration to withdraw."))
    declaration.withdrawn_at = timezone.now()
    declaration.save(update_fields=["withdrawn_at"])
    _version_write(declaration, withdrawn=True)
    return declaration


@transaction.atomic
def declaration_hide(*, declaration_ids, actor, reason):
    """An organiser takes abusive declarations off the public registry; audited, the member's own page unchanged."""
    reason = (reason or "").strip()
    if not reason:
        raise RegistryError(_("Say why the declaration is hidden."))
    if len(reason) > 1000:
        raise RegistryError(_("Keep the reason under 1,000 characters."))
    now = timezone.now()
    rows = list(Declaration.objects.select_for_update().filter(pk__in=declaration_ids, hidden_at__isnull=True))
    for declaration in rows:
        declaration.hidden_at, declaration.hidden_reason = now, reason
        declaration.save(update_fields=["hidden_at", "hidden_reason"])
        DeclarationAudit.objects.create(declaration=declaration, actor=actor, action="hide", reason=reason)
    return len(rows)


@transaction.atomic
def declaration_show(*, declaration_ids, actor):
    rows = list(Declaration.objects.select_for_update().filter(pk__in=declaration_ids, hidden_at__isnull=False))
    for declaration in rows:
        declaration.hidden_at, declaration.hidden_reason = None, ""
        declaration.save(update_fields=["hidden_at", "hidden_reason"])
        DeclarationAudit.objects.create(declaration=declaration, actor=actor, action="show")
    return len(rows)


def registry_erase(sender, *, signature_ids, **kwargs):
    """A signer's personal data was erased: their places and declaration (with its history) go too."""
    Declaration.objects.filter(signature_id__in=signature_ids).delete()
    Place.objects.filter(signature_id__in=signature_ids).delete()
