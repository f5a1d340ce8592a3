from django.db import migrations

FORWARDS = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    # unaccent() is only STABLE; an index needs an IMMUTABLE function with a fixed dictionary.
    """CREATE OR REPLACE FUNCTION coalition_unaccent(text) RETURNS text
       LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
       AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$""",
    """CREATE INDEX IF NOT EXISTS signature_name_trgm ON signatures_signature
       USING gin (lower(coalition_unaccent(name)) gin_trgm_ops)
       WHERE status IN ('confirmed', 'verified') AND public""",
]
BACKWARDS = ["DROP INDEX IF EXISTS signature_name_trgm", "DROP FUNCTION IF EXISTS coalition_unaccent(text)"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return  # SQLite searches with a plain case-insensitive LIKE
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("signatures", "0006_signature_counts")]

    operations = [migrations.RunPython(run(FORWARDS), run(BACKWARDS))]
