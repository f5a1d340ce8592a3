from datetime import UTC, datetime, timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce, TruncHour
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from coalition.core.csv_export import csv_response

from . import moderation, names
from .models import Approval, AuditEvent, Craft, ListSnapshot, NotableName, Organisation, Signature

Status = Signature.Status
SPIKE_FACTOR = 3


class StatusFilter(admin.SimpleListFilter):
    """Opens on the queue that needs work: held signatures."""

    title = _("status")
    parameter_name = "status"
    default = Status.HELD

    def lookups(self, request, model_admin):
        return [("all", _("All")), *Status.choices]

    def choices(self, changelist):
        value = self.value() or self.default
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or self.default
        if value == "all":
            return queryset
        return queryset.filter(status=value) if value in Status.values else queryset.none()


class RecentValueFilter(admin.SimpleListFilter):
    """The ten commonest values of a field among the last day's signatures: where a burst shows."""

    field = None

    def lookups(self, request, model_admin):
        since = timezone.now() - timedelta(hours=24)
        rows = (
            Signature.objects.filter(created_at__gte=since)
            .exclude(**{self.field: ""})
            .values(self.field)
            .annotate(n=Count("id"))
            .order_by("-n")[:10]
        )
        return [(row[self.field], f"{row[self.field]} ({row['n']})") for row in rows]

    def queryset(self, request, queryset):
        return queryset.filter(**{self.field: self.value()}) if self.value() else queryset


class EmailDomainFilter(RecentValueFilter):
    title = _("email domain (top, last 24 h)")
    parameter_name = "email_domain"
    field = "email_domain"


class IPPrefixFilter(RecentValueFilter):
    title = _("network (keyed hash of /24 or /48, top, last 24 h)")
    parameter_name = "ip_prefix_hash"
    field = "ip_prefix_hash"


class HourFilter(admin.SimpleListFilter):
    title = _("signed in the hour")
    parameter_name = "hour"

    def lookups(self, request, model_admin):
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        return [
            ((now - timedelta(hours=h)).strftime("%Y-%m-%dT%H"), (now - timedelta(hours=h)).strftime("%d %b %H:00"))
            for h in range(24)
        ]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            start = datetime.strptime(self.value(), "%Y-%m-%dT%H").replace(tzinfo=UTC)
        except (ValueError, OverflowError):
            return queryset.none()
        try:
            end = start + timedelta(hours=1)
        except OverflowError:
            return queryset.none()
        return queryset.filter(created_at__gte=start, created_at__lt=end)


class AuditEventInline(admin.TabularInline):
    model = AuditEvent
    fields = ("created_at", "action", "from_status", "to_status", "actor", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-created_at",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _report(modeladmin, request, verb, moved, refused):
    message = ngettext("%(n)d signature %(verb)s.", "%(n)d signatures %(verb)s.", len(moved)) % {
        "n": len(moved),
        "verb": verb,
    }
    if refused:
        message += " " + ngettext(
            "%(n)d could not be: not allowed from its state.",
            "%(n)d could not be: not allowed from their state.",
            len(refused),
        ) % {"n": len(refused)}
    modeladmin.message_user(request, message, messages.SUCCESS if moved else messages.WARNING)


def _transition_action(to, verb, description):
    def action(modeladmin, request, queryset):
        moved, refused = moderation.signature_transition(
            signature_ids=queryset.values_list("pk", flat=True),
            to=to,
            actor=request.user,
            reason=str(description),
        )
        _report(modeladmin, request, verb, moved, refused)

    action.__name__ = f"move_to_{to}"
    return admin.action(description=description, permissions=["moderate"])(action)


def _verify_action(method):
    def action(modeladmin, request, queryset):
        moved, refused = moderation.signature_verify(
            signature_ids=queryset.values_list("pk", flat=True), actor=request.user, method=method
        )
        _report(modeladmin, request, _("verified"), moved, refused)

    action.__name__ = f"verify_{method}"
    label = Signature.VerificationMethod(method).label
    # format_lazy: the label is translated when the admin page is shown, in the organiser's language.
    description = format_lazy(_("Verify — {method}"), method=label)
    return admin.action(description=description, permissions=["moderate"])(action)


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "craft",
        "status",
        "why_held",
        "approvals",
        "notable",
        "public",
        "affiliation",
        "country",
        "email_domain",
        "created_at",
        "confirmed_at",
    )
    list_filter = (
        StatusFilter,
        "review_reason",
        "craft",
        "notable",
        "public",
        HourFilter,
        EmailDomainFilter,
        IPPrefixFilter,
        "letter",
    )
    search_fields = ("name", "email", "affiliation")
    list_select_related = ("letter",)
    list_per_page = 100
    list_max_show_all = 5000
    show_full_result_count = False
    fields = (
        "name",
        "email",
        "craft",
        "affiliation",
        "country",
        "profile_url",
        "public",
        "status",
        "review_reason",
        "notable",
        "initiator",
        "verification_method",
        "verified_by",
        "verified_at",
        "letter",
        "letter_version",
        "consent_text",
        "email_domain",
        "ip_prefix_hash",
        "created_at",
        "confirmed_at",
        "status_changed_at",
        "mails_sent",
    )
    # Nothing is edited here: states and flags change only through the actions, which check and audit every
    # change; what a signer wrote is theirs to change (and a name change must pass the watchlist again).
    readonly_fields = fields
    inlines = [AuditEventInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = [
        "approve",
        "release_busy",
        _verify_action(Signature.VerificationMethod.KNOWN_PERSONALLY),
        _verify_action(Signature.VerificationMethod.UNION_CONFIRMED),
        _verify_action(Signature.VerificationMethod.PROFILE_CHECKED),
        _transition_action(Status.REJECTED, _("rejected"), _("Reject")),
        _transition_action(Status.FRAUDULENT, _("marked fraudulent"), _("Mark fraudulent (silent)")),
        _transition_action(Status.HELD, _("held"), _("Hold for review")),
        _transition_action(Status.WITHDRAWN, _("withdrawn"), _("Withdraw (at the signer's request)")),
        "restore",
        _transition_action(Status.CONFIRMED, _("unverified"), _("Remove the verification")),
        "mark_notable",
        "unmark_notable",
        "show_initiator",
        "hide_initiator",
        "export_csv",
    ]

    def has_moderate_permission(self, request):
        return request.user.has_perm("signatures.moderate_signature")

    def has_approve_permission(self, request):
        return request.user.has_perm(moderation.APPROVE_PERMISSION)

    def get_queryset(self, request):
        # One small subquery per row shown (a page), never a count over the whole table.
        approvals = (
            Approval.objects.filter(signature=OuterRef("pk"))
            .order_by()
            .values("signature")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(approval_count=Coalesce(Subquery(approvals, output_field=IntegerField()), 0))
        )

    @admin.display(description=_("why held"))
    def why_held(self, obj):
        if obj.status != Status.HELD:
            return ""
        reasons = [moderation.name_review_reason(obj.name), obj.get_review_reason_display()]
        return "; ".join(reason for reason in reasons if reason) or _("held by an organiser")

    @admin.display(description=_("approvals"))
    def approvals(self, obj):
        if obj.status != Status.HELD:
            return ""
        return _("%(n)d of %(needed)d") % {"n": obj.approval_count, "needed": moderation.APPROVALS_NEEDED}

    def has_export_permission(self, request):
        return request.user.has_perm("signatures.export_signature")

    def has_add_permission(self, request):
        return False  # signatures come from signers

    def has_delete_permission(self, request, obj=None):
        return False  # reject or mark fraudulent instead: the audit log keeps why

    @admin.action(description=_("Approve held signatures (two organisers release one)"), permissions=["approve"])
    def approve(self, request, queryset):
        approved, already, released = moderation.signature_approve(
            signature_ids=queryset.values_list("pk", flat=True), actor=request.user
        )
        parts = [
            ngettext("%(n)d held signature approved by you.", "%(n)d held signatures approved by you.", len(approved))
            % {"n": len(approved)}
        ]
        if already:
            parts.append(
                ngettext(
                    "%(n)d already approved by you: it needs another organiser.",
                    "%(n)d already approved by you: they need another organiser.",
                    len(already),
                )
                % {"n": len(already)}
            )
        parts.append(
            ngettext(
                "%(n)d now listed (approved by two organisers).",
                "%(n)d now listed (approved by two organisers).",
                len(released),
            )
            % {"n": len(released)}
        )
        self.message_user(request, " ".join(parts), messages.SUCCESS if approved else messages.WARNING)

    @admin.action(
        description=_("Release signatures held only for a busy network or domain (one organiser)"),
        permissions=["moderate"],
    )
    def release_busy(self, request, queryset):
        released, kept = moderation.signature_release_busy(
            signature_ids=queryset.values_list("pk", flat=True), actor=request.user
        )
        message = ngettext(
            "%(n)d signature released to the list.", "%(n)d signatures released to the list.", len(released)
        ) % {"n": len(released)}
        if kept:
            message += " " + ngettext(
                "%(n)d kept: not held for a busy network, or its name needs two approvals.",
                "%(n)d kept: not held for a busy network, or their names need two approvals.",
                len(kept),
            ) % {"n": len(kept)}
        self.message_user(request, message, messages.SUCCESS if released else messages.WARNING)

    @admin.action(description=_("Undo a rejection or fraud mark (back to the state before)"), permissions=["moderate"])
    def restore(self, request, queryset):
        moved, refused = moderation.signature_restore(
            signature_ids=queryset.values_list("pk", flat=True), actor=request.user
        )
        _report(self, request, _("restored"), moved, refused)

    @admin.action(description=_("Mark notable"), permissions=["moderate"])
    def mark_notable(self, request, queryset):
        changed = moderation.signature_set_notable(
            signature_ids=queryset.values_list("pk", flat=True), notable=True, actor=request.user
        )
        self.message_user(
            request,
            ngettext("%(n)d signature marked notable.", "%(n)d signatures marked notable.", len(changed))
            % {"n": len(changed)},
        )

    @admin.action(description=_("Show among the initiators on the letter (verified only)"), permissions=["approve"])
    def show_initiator(self, request, queryset):
        changed = moderation.signature_set_initiator(
            signature_ids=queryset.values_list("pk", flat=True), initiator=True, actor=request.user
        )
        skipped = queryset.count() - len(changed)
        message = ngettext(
            "%(n)d signature now shown among the initiators.",
            "%(n)d signatures now shown among the initiators.",
            len(changed),
        ) % {"n": len(changed)}
        if skipped:
            message += " " + _("The others are not verified, or already shown: verify a signature first.")
        self.message_user(request, message, messages.SUCCESS if changed else messages.WARNING)

    @admin.action(description=_("Stop showing among the initiators"), permissions=["approve"])
    def hide_initiator(self, request, queryset):
        changed = moderation.signature_set_initiator(
            signature_ids=queryset.values_list("pk", flat=True), initiator=False, actor=request.user
        )
        self.message_user(
            request,
            ngettext(
                "%(n)d signature no longer shown among the initiators.",
                "%(n)d signatures no longer shown among the initiators.",
                len(changed),
            )
            % {"n": len(changed)},
        )

    @admin.action(description=_("Remove the notable mark"), permissions=["moderate"])
    def unmark_notable(self, request, queryset):
        changed = moderation.signature_set_notable(
            signature_ids=queryset.values_list("pk", flat=True), notable=False, actor=request.user
        )
        self.message_user(
            request,
            ngettext("%(n)d signature no longer notable.", "%(n)d signatures no longer notable.", len(changed))
            % {"n": len(changed)},
        )

    @admin.action(description=_("Export with email addresses (CSV, recorded)"), permissions=["export"])
    def export_csv(self, request, queryset):
        header = ["id", "name", "email", "craft", "affiliation", "country", "profile_url", "public", "status"]
        header += ["notable", "created_at", "confirmed_at"]
        rows = queryset.values_list(*header).order_by("pk")
        moderation.export_recorded(actor=request.user, count=rows.count(), description="admin export with emails")
        return csv_response(header=header, rows=rows.iterator(chunk_size=2000), filename="signatures-with-emails.csv")

    def get_urls(self):
        return [
            path("activity/", self.admin_site.admin_view(self.activity_view), name="signatures_signature_activity"),
            *super().get_urls(),
        ]

    def activity_view(self, request):
        """The last 24 hours by hour, craft, domain and network, with hours far above the usual rate flagged."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        now = timezone.now()
        since = now - timedelta(hours=24)
        recent = Signature.objects.filter(created_at__gte=since)
        week = Signature.objects.filter(created_at__gte=now - timedelta(days=7), created_at__lt=since).count()
        usual = max(week / (6 * 24), 1)  # signatures an hour over the six days before
        hours = recent.annotate(hour=TruncHour("created_at")).values("hour").annotate(n=Count("id")).order_by("-hour")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Signing activity, last 24 hours"),
            "opts": self.model._meta,
            "usual": round(usual, 1),
            "hours": [
                {**h, "spike": h["n"] > SPIKE_FACTOR * usual, "param": h["hour"].strftime("%Y-%m-%dT%H")} for h in hours
            ],
            "crafts": [
                {**row, "label": Craft(row["craft"]).label}
                for row in recent.values("craft").annotate(n=Count("id")).order_by("-n")
            ],
            "domains": recent.values("email_domain").annotate(n=Count("id")).order_by("-n")[:15],
            "networks": recent.exclude(ip_prefix_hash="")
            .values("ip_prefix_hash")
            .annotate(n=Count("id"))
            .order_by("-n")[:15],
            "total": recent.count(),
        }
        return TemplateResponse(request, "admin/signatures/activity.html", context)


class NotableNameForm(forms.ModelForm):
    class Meta:
        model = NotableName
        fields = ("name", "note")

    def clean_name(self):
        name = self.cleaned_data["name"]
        key = names.name_key(name)
        if not key:
            raise forms.ValidationError(_("Enter a name with letters in it."))
        if NotableName.objects.filter(key=key).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("This name is already on the watchlist (as another spelling)."))
        return name


@admin.register(NotableName)
class NotableNameAdmin(admin.ModelAdmin):
    form = NotableNameForm
    list_display = ("name", "note", "created_at")
    search_fields = ("name", "note")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        moderation.watchlist_recorded(actor=request.user, name=obj.name, change="changed" if change else "added")
        held = moderation.watchlist_hold_lookalikes(name=obj.name, actor=request.user)
        if held:
            self.message_user(
                request,
                ngettext(
                    "%(n)d listed signature looks like this name: it is held for review.",
                    "%(n)d listed signatures look like this name: they are held for review.",
                    len(held),
                )
                % {"n": len(held)},
                messages.WARNING,
            )

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        moderation.watchlist_recorded(actor=request.user, name=obj.name, change="removed")

    def delete_queryset(self, request, queryset):
        removed = list(queryset.values_list("name", flat=True))
        super().delete_queryset(request, queryset)
        for name in removed:
            moderation.watchlist_recorded(actor=request.user, name=name, change="removed")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that must never change once written: shown, never added, edited or deleted."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "signature", "from_status", "to_status", "actor", "reason")
    list_filter = ("action", "to_status")
    search_fields = ("reason", "signature__name")
    list_select_related = ("signature", "actor")
    date_hierarchy = "created_at"


@admin.register(ListSnapshot)
class ListSnapshotAdmin(ReadOnlyAdmin):
    """Published fingerprints: a snapshot cited by the press must never change or disappear."""

    list_display = ("day", "rows", "size", "sha256", "taken_at")
    date_hierarchy = "day"


class OrganisationStatusFilter(StatusFilter):
    """Opens on the organisations waiting for an organiser."""

    default = Organisation.Status.PENDING

    def lookups(self, request, model_admin):
        return [("all", _("All")), *Organisation.Status.choices]

    def queryset(self, request, queryset):
        value = self.value() or self.default
        if value == "all":
            return queryset
        return queryset.filter(status=value) if value in Organisation.Status.values else queryset.none()


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "kind",
        "website_domain",
        "contact_domain",
        "domain_matches",
        "contact_confirmed",
        "status",
        "created_at",
    )
    list_filter = (OrganisationStatusFilter, "kind")
    search_fields = ("name", "website", "contact_email")
    readonly_fields = ("contact_domain", "contact_confirmed_at", "status", "verified_by", "verified_at", "created_at")
    actions = ["verify", "reject"]

    @admin.display(boolean=True, description=_("address on the website's domain"))
    def domain_matches(self, obj):
        return obj.domain_matches

    @admin.display(boolean=True, description=_("contact clicked the mailed link"))
    def contact_confirmed(self, obj):
        return obj.contact_confirmed_at is not None

    def has_add_permission(self, request):
        return False

    def _set(self, request, queryset, status, verb):
        changed = moderation.organisation_set_status(
            organisation_ids=list(queryset.values_list("pk", flat=True)), status=status, actor=request.user
        )
        message = (
            ngettext("%(n)d organisation verified.", "%(n)d organisations verified.", len(changed))
            if verb == "verified"
            else ngettext("%(n)d organisation rejected.", "%(n)d organisations rejected.", len(changed))
        )
        self.message_user(request, message % {"n": len(changed)}, messages.SUCCESS)

    @admin.action(description=_("Verify and list the selected organisations"), permissions=["change"])
    def verify(self, request, queryset):
        unconfirmed = (
            queryset.filter(contact_confirmed_at__isnull=True).exclude(status=Organisation.Status.VERIFIED).count()
        )
        self._set(request, queryset, Organisation.Status.VERIFIED, "verified")
        if unconfirmed:
            # Allowed (an organiser may have checked by other means), but the domain column alone proves nothing.
            self.message_user(
                request,
                _("%(n)d of them had not confirmed their contact address: check them by other means.")
                % {"n": unconfirmed},
                messages.WARNING,
            )

    @admin.action(description=_("Reject the selected organisations"), permissions=["change"])
    def reject(self, request, queryset):
        self._set(request, queryset, Organisation.Status.REJECTED, "rejected")
