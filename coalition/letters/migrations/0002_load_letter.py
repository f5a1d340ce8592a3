from django.db import migrations
from django.utils import timezone

from coalition.letters import letter_v1


def load_letter(apps, schema_editor):
    letter_v1.load(apps.get_model("letters", "Letter"), apps.get_model("letters", "LetterVersion"), timezone.now())


class Migration(migrations.Migration):
    dependencies = [("letters", "0001_initial")]

    operations = [migrations.RunPython(load_letter, migrations.RunPython.noop)]
