from django.contrib import admin

from compliance.models import (
    FairHousingOverride,
    FairHousingRule,
    FairHousingScanListing,
    FairHousingScanRun,
)
from compliance.selectors.fair_housing import fair_housing_rules_for
from compliance.services.fair_housing import fair_housing_rule_delete, fair_housing_rule_save
from realestate.admin import BrokerageScopedAdmin


class ReadOnlyAdmin(BrokerageScopedAdmin):
    """Records the product writes: read here, never edited."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
class FairHousingOverrideAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "broker", "listing", "reason"]
    list_select_related = ["broker", "listing"]
    search_fields = ["text", "reason"]
    fields = ["created_at", "broker", "listing", "reason", "text", "findings", "text_hash"]
    readonly_fields = fields


@admin.register(FairHousingScanRun)
class FairHousingScanRunAdmin(ReadOnlyAdmin):
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
class FairHousingScanListingAdmin(ReadOnlyAdmin):
    list_display = ["run", "listing"]
    list_select_related = ["run", "listing"]
    raw_id_fields = ["run", "listing"]
