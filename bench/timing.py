"""Issue 22: does the sign answer's timing tell whether an address has signed? Traffic goes to 127.0.0.1 only.

50 POSTs of each kind, interleaved in a shuffled order on one keep-alive-free client, as an attacker would probe:
a new address, one with a signature still pending confirmation, one that signed and confirmed (from the seeded
million). Reports each kind's median time to the answer and the largest gap between two medians. The request does
the same work for all three (one INSERT of the submission; the worker decides which mail the address gets), so the
gap is noise; the test suite proves the sameness by the queries (tests/signatures/test_sign_queries.py).
"""

import http.client
import random
import statistics
import time
import urllib.parse

REQUESTS_PER_KIND = 50
GAP_TARGET_MS = 1.0
SIGN_FORM = {"name": "Timing Probe", "craft": "writer", "consent": "on", "public": "on", "country": "FR"}
PENDING_DOMAIN = "pending.timing.bench.example.org"


def say(message):
    print(f"--- {message}", flush=True)


def addresses(letter, run):
    """{kind: [address, ...]}: new ones, pending signatures made for this run, and seeded confirmed ones."""
    from bench.seed import SEED_DOMAIN
    from coalition.signatures.mailboxes import mailbox_key
    from coalition.signatures.models import Signature
    from coalition.signatures.names import name_skeleton

    version = letter.current_version("en")
    Signature.objects.filter(email__endswith=f"@{PENDING_DOMAIN}").delete()
    pending = [f"{run}-p{n}@{PENDING_DOMAIN}" for n in range(REQUESTS_PER_KIND)]
    Signature.objects.bulk_create(
        Signature(
            letter=letter,
            letter_version=version,
            name="Pending Probe",
            name_skeleton=name_skeleton("Pending Probe"),
            email=address,
            email_domain=PENDING_DOMAIN,
            mailbox_key=mailbox_key(address),
            craft="writer",
            consent_text="I agree.",
            status=Signature.Status.PENDING,
        )
        for address in pending
    )
    confirmed = list(
        Signature.objects.filter(email_domain=SEED_DOMAIN, status=Signature.Status.CONFIRMED)
        .order_by("pk")
        .values_list("email", flat=True)[:REQUESTS_PER_KIND]
    )
    return {
        "new": [f"{run}-n{n}@d{n}.post.bench.example.org" for n in range(REQUESTS_PER_KIND)],
        "pending": pending,
        "confirmed": confirmed,
    }


def post(port, started, address):
    body = urllib.parse.urlencode({**SIGN_FORM, "started": started, "email": address})
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        begin = time.perf_counter()
        connection.request("POST", "/", body, headers)
        response = connection.getresponse()
        response.read()
        elapsed = time.perf_counter() - begin
    finally:
        connection.close()
    if response.status not in (302, 303):
        raise RuntimeError(f"the sign POST answered {response.status}")
    return elapsed * 1000, response.status, response.getheader("Location")


def run(*, port, started, letter):
    """Returns the lines to print."""
    from django.db import connections

    run_id = f"timing{time.time_ns()}"
    by_kind = addresses(letter, run_id)
    connections.close_all()
    order = [(kind, address) for kind, listed in by_kind.items() for address in listed]
    random.Random(7).shuffle(order)
    for _ in range(10):  # warm every gunicorn worker's connection and caches
        post(port, started, f"{run_id}-warm{random.random()}@warm.post.bench.example.org")
    times, answers = {kind: [] for kind in by_kind}, {kind: set() for kind in by_kind}
    say(f"timing: {len(order)} sign POSTs, {REQUESTS_PER_KIND} per kind, shuffled")
    for kind, address in order:
        elapsed, status, location = post(port, started, address)
        times[kind].append(elapsed)
        answers[kind].add((status, location))
    medians = {kind: statistics.median(values) for kind, values in times.items()}
    gap = max(medians.values()) - min(medians.values())
    same_answer = len(set().union(*answers.values())) == 1
    verdict = "ok" if gap < GAP_TARGET_MS and same_answer else "MISSED"
    lines = [
        "",
        "Sign answer timing (issue 22), client-side, one request at a time:",
        *(f"  {kind}: median {medians[kind]:.2f} ms over {len(times[kind])}" for kind in times),
        f"  same answer for all three kinds: {'yes' if same_answer else 'NO'}",
        f"  largest gap between medians: {gap:.2f} ms < {GAP_TARGET_MS} ms: {verdict}",
    ]
    return lines
