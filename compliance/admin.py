"""The broker's back office for compliance."""

from django.contrib import admin

from compliance.models import (
    ExportAlert,
    FairHousingOverride,
    FairHousingRule,
    FairHousingScanListing,
    FairHousingScanRun,
    Licence,
    LicenceAlert,
    ListingAccess,
    MLSDisplayRule,
)
from compliance.selectors.fair_housing import fair_housing_rules_for
from compliance.services.fair_housing import fair_housing_rule_delete, fair_housing_rule_save
from compliance.services.licences import LICENCE_EDITABLE_FIELDS, licence_create, licence_update
from realestate.admin import BrokerageScopedAdmin, ReadOnlyScopedAdmin


class LicenceAlertInline(admin.TabularInline):
    model = LicenceAlert
    fields = ["days_before", "expires_on", "sent_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Licence)
class LicenceAdmin(BrokerageScopedAdmin):
    list_display = ["agent", "state", "number", "licence_type", "status", "expires_on"]
    list_filter = ["status", "state", "licence_type", "agent"]
    search_fields = ["number", "agent__user__first_name", "agent__user__last_name"]
    list_select_related = ["agent__user"]
    date_hierarchy = "expires_on"
    inlines = [LicenceAlertInline]

    def save_model(self, request, obj, form, change):
        # Licences change only through their service (the broker check, the audit log).
        data = {name: form.cleaned_data[name] for name in form.cleaned_data}
        data = {name: value for name, value in data.items() if name in LICENCE_EDITABLE_FIELDS}
        if change:
            licence_update(licence=Licence.objects.get(pk=obj.pk), data=data, actor=request.user)
        else:
            obj.pk = licence_create(data=data, actor=request.user).pk


@admin.register(MLSDisplayRule)
class MLSDisplayRuleAdmin(BrokerageScopedAdmin):
    list_display = ["provider", "show_listing_office", "show_on_cards", "export_alert_threshold"]


@admin.register(ListingAccess)
class ListingAccessAdmin(ReadOnlyScopedAdmin):
    list_display = ["accessed_at", "user", "kind", "provider", "listing", "count"]
    list_filter = ["kind", "agent", "provider"]
    list_select_related = ["user", "provider", "listing"]
    date_hierarchy = "accessed_at"
    search_fields = ["user__username", "user__last_name"]


@admin.register(ExportAlert)
class ExportAlertAdmin(ReadOnlyScopedAdmin):
    list_display = ["sent_at", "agent", "provider", "exported", "threshold"]
    list_filter = ["agent", "provider"]
    list_select_related = ["agent__user", "provider"]


@admin.register(FairHousingRule)
class FairHousingRuleAdmin(BrokerageScopedAdmin):
    """The built-in Fair Housing rules (read-only to brokers) and the brokerage's own."""

    list_display = ["phrase", "class_name", "brokerage", "is_active", "updated_at"]
    list_filter = ["protected_class", "is_active", "brokerage"]
    list_select_related = ["brokerage"]
    search_fields = ["phrase", "reason", "class_label"]
    fields = [
        "phrase",
        "protected_class",
        "class_label",
        "reason",
        "suggestion",
        "is_active",
        "brokerage",
    ]

    def get_queryset(self, request):
        return fair_housing_rules_for(user=request.user)

    def has_view_permission(self, request, obj=None):
        if obj is not None and obj.is_builtin:
            return admin.ModelAdmin.has_view_permission(self, request, obj)
        return super().has_view_permission(request, obj)

    def save_model(self, request, obj, form, change):
        fair_housing_rule_save(rule=obj, actor=request.user)

    def delete_model(self, request, obj):
        fair_housing_rule_delete(rule=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for rule in queryset:
            fair_housing_rule_delete(rule=rule, actor=request.user)


@admin.register(FairHousingOverride)
class FairHousingOverrideAdmin(ReadOnlyScopedAdmin):
    list_display = ["created_at", "broker", "listing", "reason"]
    list_select_related = ["broker", "listing"]
    search_fields = ["text", "reason"]
    fields = ["created_at", "broker", "listing", "reason", "text", "findings", "text_hash"]
    readonly_fields = fields


@admin.register(FairHousingScanRun)
class FairHousingScanRunAdmin(ReadOnlyScopedAdmin):
    list_display = [
        "started_at",
        "brokerage",
        "state",
        "listings_scanned",
        "listings_flagged",
        "findings_total",
    ]
    list_filter = ["state", "brokerage"]
    list_select_related = ["brokerage"]


@admin.register(FairHousingScanListing)
class FairHousingScanListingAdmin(ReadOnlyScopedAdmin):
    list_display = ["run", "listing"]
    list_select_related = ["run", "listing"]
    raw_id_fields = ["run", "listing"]
