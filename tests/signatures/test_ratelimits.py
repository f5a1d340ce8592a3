"""The sign form's rate limits as people and attackers meet them: counted across workers in Redis, shared by an
IPv6 /64, never storing an address in the clear, and never stopping people from signing when Redis is down."""

import hashlib
import os
import subprocess
import sys

import pytest
import redis
from django.test import Client

from coalition.signatures.models import Signature, Submission
from tests.conftest import service_missing, sign_form_data


@pytest.fixture
def redis_counters(settings):
    if not os.environ.get("REDIS_URL"):
        service_missing("REDIS_URL is not set: the shared counters live in Redis")
    assert os.environ["REDIS_URL"] == settings.RATELIMIT_STORAGE_URI
    return redis.Redis.from_url(settings.RATELIMIT_STORAGE_URI)


def test_one_ipv6_network_shares_one_limit(letter, settings, django_capture_on_commit_callbacks):
    settings.SIGN_FLOOD_RATES = {"ip": ["2/m"], "domain": ["100/m"]}
    with django_capture_on_commit_callbacks(execute=True):  # the worker turns submissions into signatures
        statuses = [
            Client(REMOTE_ADDR=f"2001:db8:1:2::{n}").post("/", sign_form_data(email=f"p{n}@example.org")).status_code
            for n in range(3)
        ]
        other_network = Client(REMOTE_ADDR="2001:db8:1:3::1").post("/", sign_form_data(email="q@example.org"))
    assert statuses == [302, 302, 429]
    assert other_network.status_code == 302
    assert Signature.objects.count() == 3


def test_ipv4_clients_seen_as_ipv6_mapped_addresses_are_limited_apart(letter, settings):
    settings.SIGN_FLOOD_RATES = {"ip": ["1/m"], "domain": ["100/m"]}
    statuses = [
        Client(REMOTE_ADDR=f"::ffff:198.51.100.{n}").post("/", sign_form_data(email=f"p{n}@example.org")).status_code
        for n in (1, 2, 1)
    ]
    assert statuses == [302, 302, 429]


def test_the_proxys_own_entry_counts_not_what_the_client_wrote(letter, settings):
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_FORWARDED_FOR"
    settings.SIGN_FLOOD_RATES = {"ip": ["1/m"], "domain": ["100/m"]}
    statuses = [
        Client(HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 203.0.113.9").post("/", sign_form_data(email=f"p{n}@example.org"))
        for n in range(2)
    ]
    assert [r.status_code for r in statuses] == [302, 429], "a forged first entry does not make a new client"
    with_port = Client(HTTP_X_FORWARDED_FOR="203.0.113.10:5555").post("/", sign_form_data(email="q@example.org"))
    again = Client(HTTP_X_FORWARDED_FOR="203.0.113.10:6666").post("/", sign_form_data(email="r@example.org"))
    assert [with_port.status_code, again.status_code] == [302, 429], "a port is not a new client"


def test_a_missing_proxy_header_falls_back_to_the_connection_not_one_bucket(letter, settings, caplog):
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"
    settings.SIGN_FLOOD_RATES = {"ip": ["1/m"], "domain": ["100/m"]}
    first = Client(REMOTE_ADDR="198.51.100.1").post("/", sign_form_data(email="a@example.org"))
    second = Client(REMOTE_ADDR="198.51.100.2").post("/", sign_form_data(email="b@example.org"))
    assert [first.status_code, second.status_code] == [302, 302]
    assert "HTTP_X_REAL_IP is missing" in caplog.text


def test_free_subdomain_services_do_not_give_each_subdomain_its_own_limit(letter, settings):
    settings.SIGN_FLOOD_RATES = {"ip": ["100/m"], "domain": ["1/m"]}
    statuses = [
        Client(REMOTE_ADDR=f"10.5.0.{n}").post("/", sign_form_data(email=f"p@x{n}.duckdns.org")).status_code
        for n in range(2)
    ]
    assert statuses == [302, 429]


def test_a_proxy_header_names_the_client(letter, settings):
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"
    settings.SIGN_FLOOD_RATES = {"ip": ["1/m"], "domain": ["100/m"]}
    first = Client(HTTP_X_REAL_IP="203.0.113.5").post("/", sign_form_data(email="a@example.org"))
    second = Client(HTTP_X_REAL_IP="203.0.113.6").post("/", sign_form_data(email="b@example.org"))
    again = Client(HTTP_X_REAL_IP="203.0.113.5").post("/", sign_form_data(email="c@example.org"))
    assert [first.status_code, second.status_code, again.status_code] == [302, 302, 429]


def test_counts_are_shared_by_every_worker_through_redis(letter, settings, redis_counters):
    settings.SIGN_FLOOD_RATES = {"ip": ["2/m"], "domain": ["100/m"]}
    assert Client(REMOTE_ADDR="198.51.100.7").post("/", sign_form_data(email="a@example.org")).status_code == 302
    # A second process (another gunicorn worker) counts the same submissions.
    script = (
        "import django, os; django.setup();"
        "from django.test import RequestFactory;"
        "from coalition.signatures.ratelimits import sign_verdict;"
        "from coalition.core.models import Switches;"
        "request = RequestFactory().post('/', REMOTE_ADDR='198.51.100.7');"
        "print(*(sign_verdict(request, switches=Switches()).wait is not None for _ in range(2)))"
    )
    env = {**os.environ, "SIGN_FLOOD_RATE_IP": "2/m", "DJANGO_SETTINGS_MODULE": "coalition.settings"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
    assert Client(REMOTE_ADDR="198.51.100.7").post("/", sign_form_data(email="b@example.org")).status_code == 429


def test_one_client_over_its_limit_does_not_use_up_its_domains_limit(
    letter, settings, django_capture_on_commit_callbacks
):
    settings.SIGN_FLOOD_RATES = {"ip": ["1/m"], "domain": ["3/m"]}
    flooder = Client(REMOTE_ADDR="198.51.100.50")
    with django_capture_on_commit_callbacks(execute=True):  # the worker turns submissions into signatures
        statuses = [flooder.post("/", sign_form_data(email=f"f{n}@victim.example")).status_code for n in range(6)]
        assert statuses == [302, 429, 429, 429, 429, 429]
        # Two more people on that domain, from their own networks: within the domain's 3 a minute with the flooder's.
        for n, address in enumerate(("203.0.113.1", "203.0.113.2")):
            response = Client(REMOTE_ADDR=address).post("/", sign_form_data(email=f"staff{n}@victim.example"))
            assert response.status_code == 302
        refused = Client(REMOTE_ADDR="203.0.113.3").post("/", sign_form_data(email="x@victim.example"))
    assert refused.status_code == 429
    assert Signature.objects.filter(email__endswith="@victim.example").count() == 3


def test_limits_still_hold_after_redis_forgets_its_scripts(letter, settings, redis_counters):
    # A restarted Redis has no scripts loaded: the first count loads the library's script again, and counts once.
    settings.SIGN_FLOOD_RATES = {"ip": ["2/m"], "domain": ["100/m"]}
    redis_counters.script_flush()
    statuses = [
        Client(REMOTE_ADDR="198.51.100.9").post("/", sign_form_data(email=f"s{n}@example.org")).status_code
        for n in range(3)
    ]
    assert statuses == [302, 302, 429]
    assert Submission.objects.count() == 2  # stored for the worker, which makes them signatures


def test_redis_holds_no_address_or_domain_in_the_clear(letter, redis_counters):
    Client(REMOTE_ADDR="198.51.100.23").post("/", sign_form_data(email="someone@distinctive-domain.example"))
    assert Submission.objects.count() == 1
    keys = b" ".join(redis_counters.keys("*"))
    assert b"LIMITS" in keys
    assert b"198.51.100.23" not in keys
    assert b"distinctive-domain" not in keys
    # Keyed: a digest of every IPv4 address would not find it either.
    plain = hashlib.blake2b(b"198.51.100.23", digest_size=12).hexdigest().encode()
    assert plain not in keys


def test_people_can_sign_while_the_rate_limit_store_is_down(
    letter, settings, caplog, django_capture_on_commit_callbacks
):
    settings.RATELIMIT_STORAGE_URI = "redis://127.0.0.1:1/0"
    settings.SIGN_FLOOD_RATES = {"ip": ["1/m"], "domain": ["1/m"]}
    with django_capture_on_commit_callbacks(execute=True):  # the worker turns submissions into signatures
        statuses = [Client().post("/", sign_form_data(email=f"p{n}@example.org")).status_code for n in range(3)]
    assert statuses == [302, 302, 302]
    assert Signature.objects.count() == 3
    # The store is asked once, then left alone for a while: a hanging Redis would cost every POST its timeout.
    assert caplog.text.count("Rate-limit storage unavailable") == 1


@pytest.mark.parametrize("name", ["SIGN_RATE_IP", "SIGN_FLOOD_RATE_DOMAIN_UNDER_ATTACK"])
@pytest.mark.parametrize("rate", ["10", "10/minute", "0/m", "ten/m", "10/x"])
def test_a_mistyped_rate_stops_the_site_at_startup(name, rate):
    env = {**os.environ, name: rate, "DJANGO_SETTINGS_MODULE": "coalition.settings"}
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True
    )
    assert out.returncode != 0
    assert "Sign rates look like 10/m" in out.stderr


def _statuses(*emails, first_address=1):
    # Each from a network of its own: only the domain's limit can refuse them.
    return [
        Client(REMOTE_ADDR=f"203.0.113.{first_address + n}").post("/", sign_form_data(email=email)).status_code
        for n, email in enumerate(emails)
    ]


def test_an_invalid_address_does_not_count_against_the_domain_it_names(letter, settings, redis_counters):
    settings.SIGN_FLOOD_RATES = {"ip": ["100/m"], "domain": ["2/m"]}
    # Not counted against victim.example: the form finds the address invalid.
    assert _statuses("no spaces@victim.example", "two..dots@victim.example") == [400, 400]
    # The domain's two a minute are still there, counted once each however the address was capitalised.
    assert _statuses("Ada@Victim.Example", "bob@VICTIM.EXAMPLE", "cy@victim.example", first_address=10) == [
        302,
        302,
        429,
    ]
    assert Submission.objects.filter(email__endswith="@victim.example").count() == 2


def test_an_internationalised_domain_is_one_domain_however_it_is_written(letter, settings, redis_counters):
    settings.SIGN_FLOOD_RATES = {"ip": ["100/m"], "domain": ["1/m"]}
    # Counted once validated (its punycode spelling), not as typed.
    assert _statuses("ada@bücher.example", "bob@xn--bcher-kva.example") == [302, 429]


def test_retry_after_says_when_the_exceeded_window_ends(letter, settings):
    settings.SIGN_FLOOD_RATES = {"ip": ["100/m", "1/h"], "domain": ["100/m"]}
    client = Client(REMOTE_ADDR="198.51.100.88")
    assert client.post("/", sign_form_data(email="a@example.org")).status_code == 302
    refused = client.post("/", sign_form_data(email="b@example.org"))
    assert refused.status_code == 429
    # The hour's window, not the minute's: trying again in a minute would only be refused again.
    assert 60 < int(refused["Retry-After"]) <= 3600
