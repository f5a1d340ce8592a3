from django.db import migrations, models

from coalition.signatures.mailboxes import mailbox_key

BATCH = 5000


def _batches(Signature):
    last = 0
    while True:
        rows = list(Signature.objects.filter(pk__gt=last).order_by("pk").only("pk", "letter_id", "email")[:BATCH])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def keys_fill(apps, schema_editor):
    """Each signature's mailbox key, in batches. Signatures of one letter that already share an inbox (allowed
    before keys existed) are all kept: the one spelled as the key, or else the oldest, takes the key; the others
    keep their own address as their key. Such an address is never any address's key (a key is its own key), so no
    later signature can collide with it, and organisers find the pair by searching for the name."""
    Signature = apps.get_model("signatures", "Signature")
    taken = set()
    for rows in _batches(Signature):
        for row in rows:
            row.mailbox_key = mailbox_key(row.email)
            if row.mailbox_key == row.email:
                taken.add((row.letter_id, row.email))
        Signature.objects.bulk_update([row for row in rows if row.mailbox_key == row.email], ["mailbox_key"])
    for rows in _batches(Signature):
        spelled_otherwise = []
        for row in rows:
            key = mailbox_key(row.email)
            if key == row.email:
                continue
            row.mailbox_key = key if (row.letter_id, key) not in taken else row.email
            taken.add((row.letter_id, row.mailbox_key))
            spelled_otherwise.append(row)
        Signature.objects.bulk_update(spelled_otherwise, ["mailbox_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("signatures", "0016_listsnapshot_prev_sha256"),
    ]

    operations = [
        migrations.AddField(
            model_name="signature",
            name="mailbox_key",
            field=models.CharField(default="", editable=False, max_length=254),
        ),
        migrations.RunPython(keys_fill, migrations.RunPython.noop),
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
