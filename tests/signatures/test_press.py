import re

from coalition.signatures import moderation
from coalition.signatures.models import Signature

Status = Signature.Status


def test_the_atom_feed_lists_notable_and_verified_signatories_only(client, signature_factory, admin_user):
    star = signature_factory(name="Famous Director")
    checked = signature_factory(name="Checked Writer")
    signature_factory(name="Ordinary Person")
    hidden = signature_factory(name="Hidden Star", public=False)
    moderation.signature_set_notable(signature_ids=[star.pk, hidden.pk], notable=True, actor=admin_user)
    moderation.signature_verify(signature_ids=[checked.pk], actor=admin_user, method="profile_checked")
    response = client.get("/feeds/notable.atom")
    assert response["Content-Type"].startswith("application/atom+xml")
    body = response.text
    assert "Famous Director" in body and "Checked Writer" in body
    assert "Ordinary Person" not in body and "Hidden Star" not in body
    assert "@" not in body.replace("xmlns", "")


def test_the_embeddable_counter_can_be_framed_by_other_sites(client, signature_factory):
    signature_factory.create_batch(3)
    response = client.get("/embed/counter/")
    assert "<strong>3</strong>" in response.text
    assert "X-Frame-Options" not in response
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    assert "<script" not in response.text
    assert client.get("/").headers["X-Frame-Options"] == "DENY", "only the counter may be framed"


def test_the_badge_is_an_svg_with_the_count(client, signature_factory):
    signature_factory.create_batch(2)
    response = client.get("/badge.svg")
    assert response["Content-Type"].startswith("image/svg+xml")
    assert "<svg" in response.text and ">2</text>" in response.text
    assert "max-age" in response["Cache-Control"]


def test_the_corrections_log_shows_counts_and_reasons_never_people(client, signature_factory, admin_user):
    fake = signature_factory(name="Fake Celebrity", email="fake@example.org")
    gone = signature_factory(name="Changed Mind")
    moderation.signature_move(signature=fake, to=Status.FRAUDULENT, actor=admin_user)
    moderation.signature_move(signature=gone, to=Status.WITHDRAWN, actor=admin_user)
    page = client.get("/corrections/").text
    assert "Fraudulent" in page and "Withdrawn" in page
    assert "Fake Celebrity" not in page and "Changed Mind" not in page and "fake@example.org" not in page


def _corrections(client):
    rows = re.findall(
        r"<tr><td><time[^>]*>[^<]*</time></td><td>([^<]*)</td><td>(\d+)</td></tr>", client.get("/corrections/").text
    )
    return {reason: int(n) for reason, n in rows}


def test_a_listed_name_held_then_rejected_is_a_correction_but_one_never_listed_is_not(
    client, signature_factory, admin_user
):
    listed = signature_factory(name="Listed First")
    moderation.signature_move(signature=listed, to=Status.HELD, actor=admin_user)
    moderation.signature_move(signature=listed, to=Status.REJECTED, actor=admin_user)
    # Held when it confirmed (the watchlist): never on the list, so its rejection corrects nothing there.
    never = signature_factory(name="Taika Waititi", status=Status.PENDING, confirmed_at=None)
    moderation.signature_confirm_by_signer(signature_id=never.pk)
    never.refresh_from_db()
    assert never.status == Status.HELD
    moderation.signature_move(signature=never, to=Status.REJECTED, actor=admin_user)
    assert _corrections(client) == {"Rejected": 1}


def test_a_removal_undone_shows_as_restored(client, signature_factory, admin_user):
    signature = signature_factory(name="Real After All")
    moderation.signature_move(signature=signature, to=Status.FRAUDULENT, actor=admin_user)
    moderation.signature_restore(signature_ids=[signature.pk], actor=admin_user)
    signature.refresh_from_db()
    assert signature.status == Status.CONFIRMED
    assert _corrections(client) == {"Fraudulent": 1, "Restored to the list (a removal undone)": 1}


def test_every_feed_link_opens_the_list(client, signature_factory, admin_user):
    names = ["Zoë Writer", "🎬🎬"]
    signatures = [signature_factory(name=name) for name in names]
    moderation.signature_set_notable(signature_ids=[s.pk for s in signatures], notable=True, actor=admin_user)
    links = re.findall(r'<link href="([^"]+)" rel="alternate"', client.get("/feeds/notable.atom").text)
    item_links = [link for link in links if "/signatories/" in link]
    assert len(item_links) >= len(names)
    for link in item_links:
        assert client.get(link.replace("&amp;", "&")).status_code == 200, link


def test_the_counter_script_reads_the_public_stats_from_any_site(client, signature_factory, settings):
    settings.SITE_URL = "https://coalition.example"
    signature_factory()
    script = client.get("/embed/counter.js")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("text/javascript")
    assert '"https://coalition.example/api/v1/stats/"' in script.text
    assert "public" in script["Cache-Control"]
    stats = client.get("/api/v1/stats/", HTTP_ORIGIN="https://a-newspaper.example")
    assert stats["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in stats
    press = client.get("/press/").text
    assert "data-coalition-count" in press and "/embed/counter.js" in press
