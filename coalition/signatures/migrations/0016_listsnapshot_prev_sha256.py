from django.db import migrations, models


def link_existing_snapshots(apps, schema_editor):
    """Chain the snapshots taken before the field existed, oldest first, so the chain starts whole."""
    snapshots = apps.get_model("signatures", "ListSnapshot")
    previous = {}
    for snapshot in snapshots.objects.order_by("letter_id", "day").only("id", "letter_id", "sha256"):
        prev = previous.get(snapshot.letter_id, "")
        if prev:
            snapshots.objects.filter(pk=snapshot.pk).update(prev_sha256=prev)
        previous[snapshot.letter_id] = snapshot.sha256


class Migration(migrations.Migration):
    dependencies = [
        ("signatures", "0015_signature_name_validator_review_reason"),
    ]

    operations = [
        migrations.AddField(
            model_name="listsnapshot",
            name="prev_sha256",
            field=models.CharField(
                blank=True,
                help_text="The SHA-256 of the latest earlier snapshot of the letter; empty for the first.",
                max_length=64,
            ),
        ),
        migrations.RunPython(link_existing_snapshots, migrations.RunPython.noop),
    ]
