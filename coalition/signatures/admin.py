from django.contrib import admin

from .models import Signature


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    list_display = ("name", "craft", "affiliation", "country", "status", "public", "created_at", "confirmed_at")
    list_filter = ("status", "craft", "public", "letter")
    search_fields = ("name", "email", "affiliation")
    date_hierarchy = "created_at"
    list_select_related = ("letter",)
    readonly_fields = ("letter", "letter_version", "consent_text", "created_at", "confirmed_at", "mails_sent", "status")
    show_full_result_count = False
