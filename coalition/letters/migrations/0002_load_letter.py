from django.db import migrations
from django.utils import timezone

from coalition.letters import letter_v1


def load_letter(apps, schema_editor):
    Letter = apps.get_model("letters", "Letter")
    LetterVersion = apps.get_model("letters", "LetterVersion")
    letter, _ = Letter.objects.get_or_create(slug=letter_v1.SLUG, defaults={"name": letter_v1.NAME})
    for language, text in letter_v1.TEXTS.items():
        LetterVersion.objects.get_or_create(
            letter=letter,
            number=1,
            language=language,
            defaults={"title": text["title"], "body": text["body"], "published_at": timezone.now()},
        )


class Migration(migrations.Migration):
    dependencies = [("letters", "0001_initial")]

    operations = [migrations.RunPython(load_letter, migrations.RunPython.noop)]
