from django.db import migrations, models

# The code's own skeleton, not a frozen copy: stored skeletons are only useful if they are the ones the code compares
# with. A change to coalition.signatures.names that changes skeletons comes with a migration that fills them again.
from coalition.signatures import names

BATCH = 2000


def fill(apps, schema_editor):
    Signature = apps.get_model("signatures", "Signature")
    last = 0
    while True:
        batch = list(Signature.objects.filter(pk__gt=last).exclude(name="").order_by("pk").only("pk", "name")[:BATCH])
        if not batch:
            break
        for signature in batch:
            signature.name_skeleton = names.name_skeleton(signature.name)
        Signature.objects.bulk_update(batch, ["name_skeleton"])
        last = batch[-1].pk

    NotableName = apps.get_model("signatures", "NotableName")
    taken = set()
    for notable in NotableName.objects.order_by("pk"):
        key = names.name_key(notable.name) or notable.key
        # Two spellings of one name that the old keys told apart: both stay listed, the second under its old key.
        notable.key = key if key not in taken else notable.key
        taken.add(notable.key)
        notable.save(update_fields=["key"])


class Migration(migrations.Migration):
    dependencies = [
        ("signatures", "0018_signature_unique_mailbox_per_letter"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="signature",
            options={
                "ordering": ["-confirmed_at", "-id"],
                "permissions": [
                    ("moderate_signature", "Can moderate signatures"),
                    ("export_signature", "Can export signatures with email addresses"),
                    ("approve_signature", "Can approve held signatures (one of the two approvals)"),
                ],
            },
        ),
        migrations.AddField(
            model_name="signature",
            name="name_skeleton",
            field=models.CharField(default="", editable=False, max_length=200),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
