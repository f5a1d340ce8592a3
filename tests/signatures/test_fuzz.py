"""Property tests: whatever a stranger types or puts in a query string, never a 500, nothing invalid stored."""

import pytest
from django.test import Client, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coalition.signatures.models import Craft, Signature
from tests.conftest import sign_form_data

pytestmark = pytest.mark.django_db

FIELDS = ["name", "email", "craft", "affiliation", "country", "profile_url", "public", "consent", "keep_email"]
any_text = st.text(max_size=300) | st.sampled_from(["", " ", "\x00", "javascript:alert(1)", "a" * 5000])

# Real requests carry UTF-8; the test client cannot send lone surrogates.
utf8_text = any_text.map(lambda s: s.encode("utf-8", "replace").decode("utf-8"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(overrides=st.dictionaries(st.sampled_from(FIELDS), utf8_text, max_size=5))
def test_the_sign_form_never_500s_and_stores_only_valid_signatures(letter, overrides):
    client = Client(raise_request_exception=True)
    with override_settings(RATELIMIT_ENABLE=False):  # every example reaches the form, not the rate limiter
        response = client.post("/", sign_form_data(**overrides))
    assert response.status_code in (302, 400)
    for signature in Signature.objects.all():
        signature.full_clean(validate_unique=False, validate_constraints=False)
        assert signature.craft in Craft.values
        assert signature.email == signature.email.strip().lower()
        assert "\x00" not in signature.name
    Signature.objects.all().delete()


query = st.dictionaries(
    st.sampled_from(["q", "craft", "country", "verified", "after", "page", "x", "q[]"]), utf8_text, max_size=4
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=query)
def test_list_api_and_csv_never_500_for_any_query_string(letter, params):
    client = Client(raise_request_exception=True)
    for url in ("/signatories/", "/api/v1/signatories/", "/signatories.csv", "/api/v1/stats/"):
        response = client.get(url, params)
        assert response.status_code in (200, 400, 404), (url, params)
