from django.db import migrations


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    # Taking a name off the watchlist would let its fakes through without a second organiser: organisers only.
    Group.objects.get(name="moderator").permissions.remove(
        *Permission.objects.filter(
            content_type__app_label="signatures", codename__in=["change_notablename", "delete_notablename"]
        )
    )


class Migration(migrations.Migration):
    dependencies = [("signatures", "0003_watchlist_and_moderators")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
