from django.db import migrations, models


class Migration(migrations.Migration):
    """Apart from the keys' backfill: PostgreSQL alters no table that a transaction updated with triggers pending."""

    dependencies = [
        ("signatures", "0017_signature_mailbox_key"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="signature",
            name="signature_unique_email_per_letter",
        ),
        migrations.AddConstraint(
            model_name="signature",
            constraint=models.UniqueConstraint(
                fields=("letter", "mailbox_key"), name="signature_unique_mailbox_per_letter"
            ),
        ),
    ]
