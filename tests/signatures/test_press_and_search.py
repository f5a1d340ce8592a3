"""What search engines, feed readers and journalists' tools read: one description per page, an icon, the feed they
can discover, permanent Atom ids, and the verified and notable marks in the CSV."""

import csv
import io
import re

from bs4 import BeautifulSoup

from coalition.signatures import moderation

PUBLIC_PAGES = [
    "/",
    "/fr/",
    "/crafts/actor/",
    "/signatories/",
    "/press/",
    "/corrections/",
    "/organisations/endorse/",
    "/signed/",
]


def _head(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    return BeautifulSoup(response.text, "html.parser").head


def test_every_public_page_has_one_description_of_its_own(client, letter):
    descriptions = {}
    for path in PUBLIC_PAGES:
        found = _head(client, path).find_all("meta", attrs={"name": "description"})
        assert len(found) == 1, path
        descriptions[path] = found[0]["content"]
        assert 50 <= len(descriptions[path]) <= 300, (path, descriptions[path])
    # The letter page and a craft's page may share their wording's start; no two pages say the same thing.
    assert len(set(descriptions.values())) == len(PUBLIC_PAGES)


def test_pages_name_an_icon_a_touch_icon_and_the_feed_which_all_answer(client, letter):
    head = _head(client, "/")
    icon = head.find("link", rel="icon")
    touch = head.find("link", rel="apple-touch-icon")
    feed = head.find("link", rel="alternate", type="application/atom+xml")
    assert icon["type"] == "image/svg+xml"
    for link, kind in ((icon, "image/svg+xml"), (touch, "image/png")):
        response = client.get(link["href"])
        assert response.status_code == 200 and response["Content-Type"].startswith(kind), link["href"]
    response = client.get(feed["href"])
    assert response.status_code == 200 and "atom" in response["Content-Type"]


def test_feed_entries_have_permanent_tag_ids(client, letter, signature_factory, organiser, settings):
    settings.SITE_URL = "https://creators-coalition.example"
    stars = [signature_factory(name=f"Star {n}") for n in range(3)]
    moderation.signature_set_notable(signature_ids=[s.pk for s in stars], notable=True, actor=organiser)
    feed = client.get("/feeds/notable.atom").content.decode()
    ids = re.findall(r"<entry>.*?<id>(.*?)</id>", feed, flags=re.DOTALL)
    assert len(ids) == 3
    # RFC 4151: tag:authority,date:specific, stable whatever the name or page the entry links to.
    assert all(re.fullmatch(r"tag:creators-coalition\.example,\d{4}:signature/\d+", value) for value in ids), ids
    assert len(set(ids)) == 3


def test_the_csv_says_which_signatories_are_verified_and_notable(client, letter, signature_factory, organiser):
    plain = signature_factory(name="Plain Person")
    checked = signature_factory(name="Checked Person")
    moderation.signature_verify(signature_ids=[checked.pk], actor=organiser, method="union_confirmed")
    moderation.signature_set_notable(signature_ids=[checked.pk], notable=True, actor=organiser)
    response = client.get("/signatories.csv")
    rows = {row["name"]: row for row in csv.DictReader(io.StringIO(response.getvalue().decode()))}
    assert (rows["Checked Person"]["verified"], rows["Checked Person"]["notable"]) == ("true", "true")
    assert (rows["Plain Person"]["verified"], rows["Plain Person"]["notable"]) == ("false", "false")
    assert plain.email not in response.getvalue().decode()
