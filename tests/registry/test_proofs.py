"""Each platform's proof, read from servers on this machine through the guarded fetcher."""

import dataclasses
from functools import partial

import pytest

from coalition.registry import proofs
from coalition.registry.models import Place
from coalition.registry.services import declaration_draft
from coalition.signatures.channel import fetch_page
from tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db
PROOF_TEXT = "creators-coalition-verify-abc"


def place(signature, url, method, token=None):
    return PlaceFactory(signature=signature, url=url, method=method, token=token or PROOF_TEXT, status="pending")


@pytest.fixture
def signature(member):
    return member("pat@example.org", name="Pat Podcaster", craft="podcaster")[1]


def test_a_fediverse_profile_links_back_with_rel_me(signature, local_web, settings):
    declaration = declaration_draft(signature=signature)
    profile = place(signature, local_web.url("mastodon.test", "/@pat"), Place.Method.REL_ME)
    page = f"{settings.SITE_URL}/registry/{declaration.public_id}/"
    local_web.serve("/@pat", f'<a href="{page}">me</a>', host="mastodon.test")
    assert proofs.place_check(place_id=profile.pk) == Place.Status.FAILED  # a link without rel="me" proves nothing
    local_web.serve("/@pat", f'<a rel="nofollow me" href="{page}">me</a>', host="mastodon.test")
    assert proofs.place_check(place_id=profile.pk) == Place.Status.VERIFIED


def test_a_podcast_feed_carries_the_token_in_podcast_txt(signature, local_web):
    feed = place(signature, local_web.url("feeds.test", "/pat.xml"), Place.Method.PODCAST)
    body = '<rss xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><podcast:txt purpose="{p}">{t}</podcast:txt></channel></rss>'
    local_web.serve("/pat.xml", body.format(p="other", t=feed.token), host="feeds.test")
    assert proofs.place_check(place_id=feed.pk) == Place.Status.FAILED
    local_web.serve("/pat.xml", body.format(p="verify", t=feed.token), host="feeds.test")
    assert proofs.place_check(place_id=feed.pk) == Place.Status.VERIFIED


def test_a_domain_is_proven_by_a_dns_txt_record(signature, local_web):
    domain = place(signature, "https://pat.test/", Place.Method.DNS)
    local_web.txt["pat.test"] = ["v=spf1 -all"]
    assert proofs.place_check(place_id=domain.pk) == Place.Status.FAILED
    local_web.txt["pat.test"] = ["v=spf1 -all", domain.token]
    assert proofs.place_check(place_id=domain.pk) == Place.Status.VERIFIED


def _bluesky_here(local_web):
    """bsky.app's profile page, served here: the fetch of https://bsky.app/... reads the local server."""
    real = proofs.default_fetch

    def fetch(url):
        if not url.startswith("https://bsky.app/"):
            return real(url)
        page = real(local_web.url("bsky.test", url.removeprefix("https://bsky.app")))
        return dataclasses.replace(page, url=url)

    return fetch


def test_a_bluesky_profile_carries_the_token_in_its_description(signature, local_web):
    profile = place(signature, "https://bsky.app/profile/pat.bsky.social", Place.Method.BLUESKY)
    local_web.serve(
        "/profile/pat.bsky.social", f'<meta name="description" content="Podcaster. {profile.token}">', host="bsky.test"
    )
    assert proofs.place_check(place_id=profile.pk, fetch=_bluesky_here(local_web)) == Place.Status.VERIFIED


def test_a_bluesky_handle_on_a_proven_domain_is_proof(signature, local_web):
    PlaceFactory(signature=signature, url="https://pat.test/", method=Place.Method.DNS)  # proven before
    profile = place(
        signature, "https://bsky.app/profile/pat.test", Place.Method.BLUESKY, token="creators-coalition-verify-x"
    )
    local_web.serve("/profile/pat.test", "<p>no token here</p>", host="bsky.test")
    fetch = _bluesky_here(local_web)
    assert proofs.place_check(place_id=profile.pk, fetch=fetch) == Place.Status.FAILED
    local_web.txt["_atproto.pat.test"] = ["did=did:plc:abc123"]
    assert proofs.place_check(place_id=profile.pk, fetch=fetch) == Place.Status.VERIFIED


def test_a_bluesky_handle_on_someone_elses_domain_is_no_proof(signature, local_web):
    profile = place(signature, "https://bsky.app/profile/famous.test", Place.Method.BLUESKY)
    local_web.serve("/profile/famous.test", "<p>Famous</p>", host="bsky.test")
    local_web.txt["_atproto.famous.test"] = ["did=did:plc:famous"]
    assert proofs.place_check(place_id=profile.pk, fetch=_bluesky_here(local_web)) == Place.Status.FAILED


def test_a_place_on_a_private_address_is_refused_by_the_guarded_fetcher(signature, local_web):
    local_web.serve("/", "creators-coalition-verify-abc")
    inside = place(signature, local_web.url("inside.test"), Place.Method.PAGE)
    # The fetcher as production runs it: the name resolves, but to this machine, which is never fetched.
    production = partial(fetch_page, resolve=local_web.resolve)
    assert proofs.place_check(place_id=inside.pk, fetch=production) == Place.Status.FAILED
    inside.refresh_from_db()
    assert "private or reserved" in inside.last_error
    assert local_web.asked == []


def test_a_proof_taken_down_later_is_noticed_by_the_recheck(signature, local_web):
    from coalition.registry.tasks import recheck_places

    page = place(signature, local_web.url("creator.test", "/about"), Place.Method.PAGE)
    local_web.serve("/about", page.token)
    assert proofs.place_check(place_id=page.pk) == Place.Status.VERIFIED
    Place.objects.filter(pk=page.pk).update(checked_at="2000-01-01T00:00:00Z")
    local_web.serve("/about", "gone")
    assert recheck_places.apply().get() == 1
    page.refresh_from_db()
    assert page.status == Place.Status.FAILED


def test_a_page_that_redirects_to_another_site_proves_nothing(signature, local_web):
    victim = place(signature, local_web.url("victim.test", "/go"), Place.Method.PAGE)
    local_web.serve(
        "/go", "", status=302, headers={"Location": local_web.url("attacker.test", "/")}, host="victim.test"
    )
    local_web.serve("/", victim.token, host="attacker.test")
    assert proofs.place_check(place_id=victim.pk) == Place.Status.FAILED
    victim.refresh_from_db()
    assert "redirects to another site" in victim.last_error


@pytest.fixture
def local_dns():
    """A DNS server on this machine answering TXT queries from a dict, through dnspython's own message API."""
    import socket
    import threading

    import dns.message
    import dns.rcode
    import dns.resolver
    import dns.rrset

    records = {}
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                wire, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(wire)
            answer = dns.message.make_response(query)
            question = query.question[0]
            name = question.name.to_text().rstrip(".")
            if name in records:
                texts = [f'"{value}"' for value in records[name]]  # one TXT record each
                answer.answer.append(dns.rrset.from_text(question.name, 60, "IN", "TXT", *texts))
            else:
                answer.set_rcode(dns.rcode.NXDOMAIN)
            sock.sendto(answer.to_wire(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers, resolver.port, resolver.lifetime = ["127.0.0.1"], sock.getsockname()[1], 2
    yield records, resolver
    stop.set()
    thread.join()
    sock.close()


def test_a_dns_proof_is_read_with_dnspython_from_a_name_server(signature, local_dns):
    records, resolver = local_dns
    domain = place(signature, "https://pat.test/", Place.Method.DNS)
    resolve_txt = partial(proofs.txt_records, resolver=resolver)
    assert proofs.place_check(place_id=domain.pk, resolve_txt=resolve_txt) == Place.Status.FAILED  # no record
    records["pat.test"] = ["v=spf1 -all", domain.token]
    assert proofs.place_check(place_id=domain.pk, resolve_txt=resolve_txt) == Place.Status.VERIFIED


def test_a_page_proven_on_a_platform_does_not_make_its_bluesky_handle_yours(signature, local_web):
    PlaceFactory(signature=signature, url="https://bigplatform.test/@mallory")  # a page, not the domain
    claim = place(signature, "https://bsky.app/profile/bigplatform.test", Place.Method.BLUESKY)
    local_web.serve("/profile/bigplatform.test", "<p>The platform's own account</p>", host="bsky.test")
    local_web.txt["_atproto.bigplatform.test"] = ["did=did:plc:platform"]
    assert proofs.place_check(place_id=claim.pk, fetch=_bluesky_here(local_web)) == Place.Status.FAILED
