from django.db import migrations

# Addresses are compared without regard to case (email__iexact, UPPER(email) on PostgreSQL), as allauth compares
# them too; neither allauth's address table nor Django's user table has an index for that comparison. Without one,
# every confirmation mail's unsubscribe link read the whole address table: with tens of thousands of members, that
# halved the rate confirmations drain during a surge. The same SQL works on PostgreSQL and SQLite.
INDEXES = [
    ("account_emailaddress_email_upper", "account_emailaddress"),
    ("auth_user_email_upper", "auth_user"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_coalition_update"),
        ("account", "0009_emailaddress_unique_primary_email"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunSQL(
            # ANALYZE: until the statistics know the new expression, PostgreSQL guesses that a quarter of a percent
            # of the table matches and walks the primary key instead (LIMIT 1), which is the scan this avoids.
            sql=[f"CREATE INDEX IF NOT EXISTS {name} ON {table} (UPPER(email))", f"ANALYZE {table}"],
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, table in INDEXES
    ]
