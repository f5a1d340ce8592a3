from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import OutgoingMail
from .selectors import mail_lag
from .services import mail_retry


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "to", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("to",)
    # A queued account mail holds a sign-in code: not for anyone's eyes but the addressee's.
    readonly_fields = [f.name for f in OutgoingMail._meta.fields if f.name not in ("body_text", "body_html")]
    exclude = ("body_text", "body_html")
    actions = ["retry"]

    # Organisers only: moderators may look at the outbox (without the bodies), not send from it.
    @admin.action(description=_("Retry sending the selected mails that gave up"), permissions=["change"])
    def retry(self, request, queryset):
        count = mail_retry(mail_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request, ngettext("%d mail queued again.", "%d mails queued again.", count) % count, messages.SUCCESS
        )

    def changelist_view(self, request, extra_context=None):
        """The page opens with what /healthz says: how many mails are owed per queue and how long the oldest waits."""
        lag = mail_lag()
        queues = [(queue, value) for queue, value in lag.items() if queue != "status"]
        extra_context = {**(extra_context or {}), "mail_lag": {"status": lag["status"], "queues": queues}}
        return super().changelist_view(request, extra_context=extra_context)

    def has_add_permission(self, request):
        return False
