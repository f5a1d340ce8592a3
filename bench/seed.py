"""Seed confirmed public signatures fast (COPY), with the counter table kept exact.

Used by `make bench` (a million rows) and by tests/bench/test_seed.py (a few hundred), so the benchmark
cannot rot without the test suite noticing.
"""

import io
import random
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone
from faker.providers.person.en_US import Provider as English
from faker.providers.person.es_ES import Provider as Spanish
from faker.providers.person.fr_FR import Provider as French

from coalition.signatures.models import Craft, Signature
from coalition.signatures.moderation import counts_apply
from coalition.signatures.names import name_skeleton

# Seeded rows are recognisable (and never collide with a real address) by this domain.
SEED_DOMAIN = "seed.bench.example.org"
# Crafts weighted roughly as a creators' letter would draw them.
CRAFT_WEIGHTS = {
    Craft.ACTOR: 22,
    Craft.WRITER: 18,
    Craft.MUSICIAN: 14,
    Craft.VISUAL_ARTIST: 12,
    Craft.YOUTUBER: 8,
    Craft.DIRECTOR: 6,
    Craft.PODCASTER: 5,
    Craft.TECHNICIAN: 5,
    Craft.NEWSLETTER: 4,
    Craft.OTHER: 6,
}
COUNTRIES = ["US", "US", "US", "GB", "FR", "FR", "CA", "DE", "ES", "MX", "AU", "IE", "BE", "IT", ""]
AFFILIATIONS = ["", "", "", "SAG-AFTRA", "WGA", "DGA", "Equity", "SACD", "Musicians' Union", "IATSE", "Independent"]
# Fraction of rows verified, and how many are notable: enough for the list's special cases to cost something.
VERIFIED_SHARE = 0.01
NOTABLE_ROWS = 40
CHUNK = 50_000

COLUMNS = [
    "letter",
    "letter_version",
    "name",
    "email",
    "craft",
    "affiliation",
    "country",
    "profile_url",
    "public",
    "language",
    "status",
    "consent_text",
    "created_at",
    "confirmed_at",
    "email_domain",
    "mailbox_key",
    "name_skeleton",
    "ip_prefix_hash",
    "notable",
    "initiator",
    "verification_method",
    "verified_at",
    "status_changed_at",
    "mails_sent",
    "review_reason",
]


def _names():
    firsts, lasts = [], []
    for provider in (English, French, Spanish):
        firsts += list(provider.first_names)
        lasts += list(provider.last_names)
    return firsts, lasts


def _text(value):
    # COPY's text format: the generated values never hold these, but a name list might one day.
    return value.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ").replace("\r", " ")


def _rows(*, letter, version, n, start, rng, now, tally):
    firsts, lasts = _names()
    crafts, weights = list(CRAFT_WEIGHTS), list(CRAFT_WEIGHTS.values())
    consent = _text("I agree (seeded by the benchmark).")
    # Newest first on the list: spread over the last 30 days, one signature every few seconds at most.
    step = timedelta(days=30) / max(n, 1)
    notable_every = max(n // NOTABLE_ROWS, 1)
    for i in range(n):
        name = f"{rng.choice(firsts)} {rng.choice(lasts)}"
        craft = rng.choices(crafts, weights)[0]
        tally[craft] = tally.get(craft, 0) + 1
        confirmed_at = now - timedelta(days=30) + step * i
        verified = rng.random() < VERIFIED_SHARE
        stamp = confirmed_at.isoformat()
        yield "\t".join(
            (
                str(letter.pk),
                str(version.pk),
                _text(name),
                f"s{start + i}@{SEED_DOMAIN}",
                craft,
                _text(rng.choice(AFFILIATIONS)),
                rng.choice(COUNTRIES),
                f"https://example.org/people/{start + i}" if i % 3 == 0 else "",
                "t",
                "en",
                Signature.Status.VERIFIED if verified else Signature.Status.CONFIRMED,
                consent,
                (confirmed_at - timedelta(minutes=5)).isoformat(),
                stamp,
                SEED_DOMAIN,
                f"s{start + i}@{SEED_DOMAIN}",  # its own mailbox key: no dots, no +tag
                _text(name_skeleton(name)),
                "",
                "t" if i % notable_every == 0 else "f",
                "f",
                Signature.VerificationMethod.PROFILE_CHECKED if verified else "",
                stamp if verified else r"\N",
                stamp,
                "1",
                "",
            )
        )


def _secondary_indexes(cursor, table):
    """(name, definition) of the table's indexes that no constraint owns: cheaper rebuilt than kept up to date
    row by row (above all the trigram index)."""
    cursor.execute(
        """SELECT i.relname, pg_get_indexdef(i.oid)
           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
           WHERE x.indrelid = %s::regclass
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)""",
        [table],
    )
    return cursor.fetchall()


@transaction.atomic
def seed_signatures(*, letter, n, seed=1):
    """Add `n` confirmed public signatures of `letter` (its current English version) with COPY, keep the counter
    table in step in the same transaction, and ANALYZE. PostgreSQL only. Returns {craft: rows added}."""
    if connection.vendor != "postgresql":
        raise RuntimeError("seeding uses COPY: PostgreSQL only")
    version = letter.current_version("en")
    rng = random.Random(seed)
    start = Signature.objects.filter(email_domain=SEED_DOMAIN).count()
    table = Signature._meta.db_table
    columns = ", ".join(Signature._meta.get_field(name).column for name in COLUMNS)
    tally = {}
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        # Django's foreign keys are deferred: checked per COPY instead, or CREATE INDEX meets pending triggers.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        indexes = _secondary_indexes(cursor, table)
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        rows = _rows(letter=letter, version=version, n=n, start=start, rng=rng, now=timezone.now(), tally=tally)
        copy = f"COPY {table} ({columns}) FROM STDIN"
        while True:
            chunk = [row for _, row in zip(range(CHUNK), rows, strict=False)]
            if not chunk:
                break
            cursor.cursor.copy_expert(copy, io.StringIO("\n".join(chunk) + "\n"))
        for _name, definition in indexes:
            cursor.execute(definition)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        counts_apply({(letter.pk, craft): added for craft, added in tally.items()})
        cursor.execute(f"ANALYZE {table}")
    return tally
