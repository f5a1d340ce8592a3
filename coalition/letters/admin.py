from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Letter, LetterVersion


class LetterVersionInline(admin.StackedInline):
    model = LetterVersion
    extra = 0
    fields = ("number", "language", "title", "body", "published_at")

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj is not None and obj.signatures.exists() else ()


@admin.register(Letter)
class LetterAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_open", "launched_on", "created_at")
    inlines = [LetterVersionInline]
    fieldsets = (
        (None, {"fields": ("name", "slug", "is_open", "closed_reason", "closed_reason_fr")}),
        (_("On the letter page"), {"fields": ("launched_on", "press_contact", "faq", "faq_fr")}),
    )


@admin.register(LetterVersion)
class LetterVersionAdmin(admin.ModelAdmin):
    list_display = ("letter", "number", "language", "title", "published_at")
    list_filter = ("letter", "language")
    search_fields = ("title", "body")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.has_signatures():
            return ("letter", "number", "language", "title", "body")
        return ()
