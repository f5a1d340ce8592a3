import re
import unicodedata

from django.contrib.auth.management import create_permissions
from django.db import migrations

# World-famous public figures of film, music, tech and politics: the names fakes reach for first.
NOTABLE_NAMES = [
    "Joseph Gordon-Levitt",
    "Natasha Lyonne",
    "David Goyer",
    "Daniel Kwan",
    "Natalie Portman",
    "Cate Blanchett",
    "Ben Affleck",
    "Guillermo del Toro",
    "Aaron Sorkin",
    "Ava DuVernay",
    "Taika Waititi",
    "Meryl Streep",
    "Tom Hanks",
    "Scarlett Johansson",
    "Leonardo DiCaprio",
    "Steven Spielberg",
    "Martin Scorsese",
    "Christopher Nolan",
    "Greta Gerwig",
    "Keanu Reeves",
    "Zendaya",
    "Denzel Washington",
    "Taylor Swift",
    "Beyoncé Knowles",
    "Paul McCartney",
    "Billie Eilish",
    "Björk",
    "Kendrick Lamar",
    "Elton John",
    "Dua Lipa",
    "Elon Musk",
    "Sam Altman",
    "Mark Zuckerberg",
    "Sundar Pichai",
    "Satya Nadella",
    "Jensen Huang",
    "Jeff Bezos",
    "Tim Cook",
    "Bill Gates",
    "Donald Trump",
    "Joe Biden",
    "Barack Obama",
    "Kamala Harris",
    "Emmanuel Macron",
    "Keir Starmer",
    "Vladimir Putin",
    "Xi Jinping",
    "Narendra Modi",
    "Volodymyr Zelensky",
    "Pope Francis",
]


def name_key(name):
    # Frozen copy of coalition.signatures.models.name_key, as migrations must not import changing code.
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(sorted(re.findall(r"\w+", plain)))


MODERATOR_PERMISSIONS = [
    ("signatures", "view_signature"),
    ("signatures", "change_signature"),
    ("signatures", "moderate_signature"),
    ("signatures", "view_notablename"),
    ("signatures", "add_notablename"),
    ("signatures", "change_notablename"),
    ("signatures", "delete_notablename"),
    ("signatures", "view_auditevent"),
    ("mail", "view_outgoingmail"),
    ("core", "view_switches"),
    ("core", "change_switches"),
]


def forwards(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    NotableName = apps.get_model("signatures", "NotableName")
    for name in NOTABLE_NAMES:
        NotableName.objects.get_or_create(key=name_key(name), defaults={"name": name})

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    moderators, _ = Group.objects.get_or_create(name="moderator")
    for app_label, codename in MODERATOR_PERMISSIONS:
        moderators.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))

    Signature = apps.get_model("signatures", "Signature")
    for signature in Signature.objects.filter(email_domain="").only("pk", "email").iterator():
        Signature.objects.filter(pk=signature.pk).update(email_domain=signature.email.rpartition("@")[2])


class Migration(migrations.Migration):
    dependencies = [
        ("signatures", "0002_moderation"),
        ("core", "0001_initial"),
        ("mail", "0002_outgoingmail_outgoingmail_to_created"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
