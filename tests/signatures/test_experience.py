"""What a signer sees around the form: the page's structure, craft landing pages, the thank-you page."""

import re

import pytest

from coalition.signatures.models import Craft


def test_the_letter_page_has_a_skip_link_a_language_and_no_inline_script(client, letter):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").text
    assert '<html lang="en">' in page
    assert 'href="#main"' in page and 'id="main"' in page
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, re.DOTALL)
    assert scripts == [""], "one external script, nothing inline (the CSP forbids it)"
    assert 'src="/static/js/site.js"' in page
    assets = re.findall(r"<(?:script|link)(?![^>]*rel=\"alternate\")[^>]*>", page)
    assert "http" not in "".join(assets), "no asset from another site (the language versions are links, not assets)"


def test_the_letter_page_shows_notable_signatories_and_the_count_by_craft(client, signature_factory):
    signature_factory(name="Famous Person", craft=Craft.DIRECTOR, notable=True)
    signature_factory(name="Quiet Person", craft=Craft.WRITER)
    page = client.get("/").text
    assert "Notable signatories" in page
    assert "Famous Person" in page
    assert "Quiet Person" not in page, "only notable names on the letter page"
    assert 'href="/crafts/director/"' in page
    assert re.search(r'data-count="director">1<', page)


def test_each_numbered_demand_of_the_letter_is_shown_with_its_title(client, letter):
    page = client.get("/").text
    assert "<strong>Consent before training.</strong>" in page
    assert "<strong>Transparent licensing.</strong>" in page


@pytest.mark.parametrize("craft", Craft.values)
def test_every_craft_has_a_landing_page_with_the_form_set_to_it(client, letter, craft):
    page = client.get(f"/crafts/{craft}/").text
    assert "Consent before training" in page
    assert f'<option value="{craft}" selected>' in page
    assert 'action="/crafts/' + craft + '/#sign"' in page


def test_a_craft_landing_page_shows_that_crafts_count(client, signature_factory):
    signature_factory.create_batch(2, craft=Craft.MUSICIAN)
    signature_factory(craft=Craft.ACTOR)
    page = client.get("/crafts/musician/").text
    assert "Musicians" in page
    assert re.search(r'data-count="musician">2<', page)
    assert "signatures from this craft" in page


@pytest.mark.parametrize("slug", ["astronaut", "ACTOR", "%3Cscript%3E", "actor%00"])
def test_an_unknown_craft_is_not_found(client, letter, slug):
    response = client.get(f"/crafts/{slug}/")
    assert response.status_code in (404, 400)
    assert response.status_code != 500


def test_signing_from_a_craft_page_signs_with_that_craft(client, letter, django_capture_on_commit_callbacks):
    from coalition.signatures.models import Signature
    from tests.conftest import sign_form_data

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/crafts/podcaster/", sign_form_data(craft="podcaster"))
    assert response["Location"] == "/signed/"
    assert Signature.objects.get().craft == "podcaster"


def test_a_mistake_on_a_craft_page_comes_back_on_that_page(client, letter):
    from tests.conftest import sign_form_data

    response = client.post("/crafts/actor/", sign_form_data(craft="actor", consent=""))
    assert response.status_code == 400
    assert "Please tick this box to sign." in response.text
    assert 'action="/crafts/actor/#sign"' in response.text


def test_form_errors_are_tied_to_their_fields(client, letter):
    from tests.conftest import sign_form_data

    page = client.post("/", sign_form_data(name="", email="not an address", consent="")).text
    for field in ("name", "email", "consent"):
        tag = re.search(rf'<input[^>]*name="{field}"[^>]*>', page).group(0)
        assert 'aria-invalid="true"' in tag, field
        assert f"id_{field}_error" in tag, field
        assert f'id="id_{field}_error"' in page
    assert 'role="alert"' in page
    assert "Enter a valid email address, like name@example.org." in page


@pytest.mark.parametrize("url", ["/", "/crafts/actor/", "/signed/"])
def test_the_signing_pages_make_a_few_queries(client, signature_factory, django_assert_max_num_queries, url):
    signature_factory.create_batch(5, notable=True)
    client.get(url)  # warm the caches as a busy site has them
    with django_assert_max_num_queries(4):
        assert client.get(url).status_code == 200


def test_the_thank_you_page_is_the_same_for_a_new_a_pending_and_a_confirmed_address(sign, client, signature_factory):
    signature_factory(email="known@example.org")
    signature_factory(email="waiting@example.org", pending=True)
    pages = set()
    for email in ("new@example.org", "waiting@example.org", "known@example.org"):
        response = sign(email=email)
        assert response["Location"] == "/signed/"
        pages.add(re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", client.get("/signed/").text))
    assert len(pages) == 1


def test_the_thank_you_page_offers_plain_share_links_and_no_third_party_script(client, letter, settings):
    page = client.get("/signed/").text
    for host in ("bsky.app/intent/compose", "twitter.com/intent/tweet", "facebook.com/sharer", "linkedin.com", "wa.me"):
        assert f"https://{host}" in page or f"https://www.{host}" in page, host
    assert "mailto:?" in page
    assert re.findall(r"<script[^>]*src=\"([^\"]+)\"", page) == ["/static/js/site.js"]
    assert f'value="{settings.SITE_URL}/"' in page
    assert 'href="/crafts/actor/"' in page
