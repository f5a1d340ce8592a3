from django.db import migrations, models
from django.db.models import F, Q

from coalition.signatures.mailboxes import DOMAIN_ALIASES, DOTS_IGNORED, TAG_SEPARATOR, mailbox_key

BATCH = 1000


def keys_fill(apps, schema_editor):
    """Each signature's mailbox key. Most addresses are their own key: one UPDATE gives every row its address, then
    only the addresses that may spell another (a +tag, a provider's alias or dots) are read, oldest first, in small
    batches. Signatures of one letter that already share an inbox (allowed before keys existed) are all kept: the
    one spelled as the key, or else the oldest, holds the key; the others keep their own address as their key, which
    is never any address's key (a key is its own key), so no later signature can collide with it."""
    Signature = apps.get_model("signatures", "Signature")
    Signature.objects.update(mailbox_key=F("email"))
    respelled = Q(email__contains=TAG_SEPARATOR)
    for domain in sorted(DOTS_IGNORED | set(DOMAIN_ALIASES)):
        respelled |= Q(email__endswith="@" + domain)
    respelled = Signature.objects.filter(respelled)
    last = 0
    while True:
        rows = list(respelled.filter(pk__gt=last).order_by("pk").only("pk", "letter_id", "email")[:BATCH])
        if not rows:
            return
        last = rows[-1].pk
        wanted = {row.pk: mailbox_key(row.email) for row in rows if mailbox_key(row.email) != row.email}
        held = set(
            Signature.objects.filter(mailbox_key__in=set(wanted.values())).values_list("letter_id", "mailbox_key")
        )
        changed = []
        for row in rows:
            key = wanted.get(row.pk)
            if key is None or (row.letter_id, key) in held:
                continue
            held.add((row.letter_id, key))
            row.mailbox_key = key
            changed.append(row)
        Signature.objects.bulk_update(changed, ["mailbox_key"])


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
    ]
