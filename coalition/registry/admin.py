from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import selectors, services
from .models import Declaration, DeclarationAudit, DeclarationVersion


class HideForm(ActionForm):
    reason = forms.CharField(label=_("Reason (for hiding)"), required=False)


class VersionInline(admin.TabularInline):
    model = DeclarationVersion
    extra = 0
    can_delete = False
    fields = ("number", "created_at", "training", "training_scope", "search", "tdm", "place_urls", "withdrawn")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class AuditInline(admin.TabularInline):
    model = DeclarationAudit
    extra = 0
    can_delete = False
    fields = ("created_at", "actor", "action", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Declaration)
class DeclarationAdmin(admin.ModelAdmin):
    """Read-only: a declaration is its author's. Organisers may only hide an abusive one (audited)."""

    list_display = ("public_id", "signer", "craft", "training", "search", "tdm", "version", "updated_at", "hidden")
    list_filter = ("training", "search", "tdm", ("hidden_at", admin.EmptyFieldListFilter))
    search_fields = ("public_id", "signature__name")
    actions = ["hide", "show"]
    action_form = HideForm
    inlines = [VersionInline, AuditInline]
    readonly_fields = (
        "public_id",
        "signature",
        "version",
        "training",
        "training_scope",
        "search",
        "tdm",
        "licensing_contact",
        "contact_public",
        "places",
        "updated_at",
        "withdrawn_at",
        "hidden_at",
        "hidden_reason",
        "site_check",
    )
    fields = readonly_fields
    change_list_template = "admin/registry/declaration/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("signature")

    @admin.display(description=_("signer"), ordering="signature__name")
    def signer(self, obj):
        return obj.signature.name

    @admin.display(description=_("craft"), ordering="signature__craft")
    def craft(self, obj):
        return obj.signature.get_craft_display()

    @admin.display(description=_("hidden"), boolean=True)
    def hidden(self, obj):
        return obj.hidden_at is not None

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Read-only (the view permission shows the page); hiding goes through the actions.
        return False

    def get_actions(self, request):
        # The actions need only the permission to hide, not the permission to change.
        actions = super().get_actions(request)
        if not request.user.has_perm("registry.hide_declaration"):
            return {}
        return actions

    def _may_hide(self, request):
        if not request.user.has_perm("registry.hide_declaration"):
            raise PermissionDenied

    @admin.action(description=_("Hide from the public registry (give a reason)"))
    def hide(self, request, queryset):
        self._may_hide(request)
        try:
            n = services.declaration_hide(
                declaration_ids=list(queryset.values_list("pk", flat=True)),
                actor=request.user,
                reason=request.POST.get("reason", ""),
            )
        except services.RegistryError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, ngettext("%d declaration hidden.", "%d declarations hidden.", n) % n)

    @admin.action(description=_("Show again on the public registry"))
    def show(self, request, queryset):
        self._may_hide(request)
        n = services.declaration_show(declaration_ids=list(queryset.values_list("pk", flat=True)), actor=request.user)
        self.message_user(request, ngettext("%d declaration shown again.", "%d declarations shown again.", n) % n)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "figures": selectors.registry_figures()}
        return super().changelist_view(request, extra_context=extra_context)
