from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import CoalitionUpdate
from .updates import coalition_update_send


@admin.register(CoalitionUpdate)
class CoalitionUpdateAdmin(admin.ModelAdmin):
    list_display = ("subject", "created_at", "sent_at", "sent_by", "recipients")
    readonly_fields = ("sent_at", "sent_by", "recipients", "queued_at")
    actions = ["send"]

    def get_readonly_fields(self, request, obj=None):
        # What members received is a record: once sent, nothing in it changes.
        if obj is not None and obj.sent_at is not None:
            return ("subject", "body", "subject_fr", "body_fr", *self.readonly_fields)
        return self.readonly_fields

    @admin.action(description=_("Send to the members who asked for coalition updates"), permissions=["change"])
    def send(self, request, queryset):
        for update in queryset:
            if coalition_update_send(update=update, actor=request.user):
                self.message_user(request, _("Sending “%(subject)s”.") % {"subject": update.subject}, messages.SUCCESS)
            else:
                self.message_user(
                    request, _("“%(subject)s” was already sent.") % {"subject": update.subject}, messages.WARNING
                )
