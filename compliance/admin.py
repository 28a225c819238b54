"""The broker's back office for compliance."""

from django.contrib import admin

from compliance.models import ExportAlert, Licence, LicenceAlert, ListingAccess, MLSDisplayRule
from compliance.services.licences import LICENCE_EDITABLE_FIELDS, licence_create, licence_update
from realestate.admin import BrokerageScopedAdmin


class LicenceAlertInline(admin.TabularInline):
    model = LicenceAlert
    fields = ["days_before", "expires_on", "sent_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


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


class ReadOnlyLogAdmin(BrokerageScopedAdmin):
    """A log: read, filtered, never written by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ListingAccess)
class ListingAccessAdmin(ReadOnlyLogAdmin):
    list_display = ["accessed_at", "user", "kind", "provider", "listing", "count"]
    list_filter = ["kind", "agent", "provider"]
    list_select_related = ["user", "provider", "listing"]
    date_hierarchy = "accessed_at"
    search_fields = ["user__username", "user__last_name"]


@admin.register(ExportAlert)
class ExportAlertAdmin(ReadOnlyLogAdmin):
    list_display = ["sent_at", "agent", "provider", "exported", "threshold"]
    list_filter = ["agent", "provider"]
    list_select_related = ["agent__user", "provider"]
