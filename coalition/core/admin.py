from django.contrib import admin

from .models import Switches


@admin.register(Switches)
class SwitchesAdmin(admin.ModelAdmin):
    list_display = ("__str__", "signing_paused", "under_attack", "updated_at")

    def has_add_permission(self, request):
        return not Switches.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
