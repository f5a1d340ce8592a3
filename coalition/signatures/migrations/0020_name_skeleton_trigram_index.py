from django.db import migrations

# Adding a name to the watchlist looks for listed signatures whose skeleton holds pieces of its words
# (moderation.watchlist_hold_lookalikes): LIKE '%piece%', which a trigram index serves. pg_trgm is there since 0007.
FORWARDS = [
    """CREATE INDEX IF NOT EXISTS signature_name_skeleton_trgm ON signatures_signature
       USING gin (name_skeleton gin_trgm_ops)
       WHERE status IN ('confirmed', 'verified')""",
]
BACKWARDS = ["DROP INDEX IF EXISTS signature_name_skeleton_trgm"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return  # SQLite scans: its lists are small
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    """Apart from the backfill: PostgreSQL alters no table that a transaction updated with triggers pending."""

    dependencies = [("signatures", "0019_lookalike_names")]

    operations = [migrations.RunPython(run(FORWARDS), run(BACKWARDS))]
