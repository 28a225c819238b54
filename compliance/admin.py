"""The broker's back office for compliance: licences, MLS display rules and the access log,
Fair Housing rules and reports, the consent log, do-not-contact list, data retention and agents'
payout accounts (bank numbers typed, never shown), security events."""

from django import forms
from django.contrib import admin

from compliance.encryption import mask
from compliance.models import (
    ConsentRecord,
    DoNotContactEntry,
    ExportAlert,
    FairHousingOverride,
    FairHousingRule,
    FairHousingScanListing,
    FairHousingScanRun,
    Licence,
    LicenceAlert,
    ListingAccess,
    MLSDisplayRule,
    PayoutAccount,
    RetentionPolicy,
    RetentionRun,
    SecurityEvent,
)
from compliance.selectors.fair_housing import fair_housing_rules_for
from compliance.services.fair_housing import fair_housing_rule_delete, fair_housing_rule_save
from compliance.services.licences import LICENCE_EDITABLE_FIELDS, licence_create, licence_update
from compliance.services.payouts import payout_account_save, payout_numbers_clean
from compliance.services.retention import retention_policy_save
from realestate.admin import BrokerageScopedAdmin, ReadOnlyScopedAdmin
from realestate.permissions import actor_for


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


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyScopedAdmin):
    list_display = ["client", "channel", "status", "source", "actor", "recorded_at"]
    list_filter = ["channel", "status", "source"]
    list_select_related = ["client", "actor"]
    date_hierarchy = "recorded_at"


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyScopedAdmin):
    list_display = ["started_at", "brokerage", "dry_run", "trigger", "candidates", "anonymised"]
    list_filter = ["dry_run", "trigger"]
    list_select_related = ["brokerage"]


@admin.register(DoNotContactEntry)
class DoNotContactEntryAdmin(BrokerageScopedAdmin):
    """Lists are uploaded on the do-not-contact page; here they are searched and pruned."""

    list_display = ["value", "kind", "list_name", "added_at", "brokerage"]
    list_filter = ["kind", "brokerage"]
    search_fields = ["value", "list_name"]
    list_select_related = ["brokerage"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(BrokerageScopedAdmin):
    list_display = ["brokerage", "period_months", "enabled", "updated_at"]
    fields = ["brokerage", "period_months", "enabled"]

    def save_model(self, request, obj, form, change):
        retention_policy_save(
            brokerage_id=obj.brokerage_id or actor_for(request.user).brokerage_id,
            period_months=obj.period_months,
            enabled=obj.enabled,
            actor=request.user,
        )


class PayoutAccountAdminForm(forms.ModelForm):
    """Bank numbers are typed, never shown: blank keeps the stored number."""

    new_account_number = forms.CharField(
        required=False, label="Account number", widget=forms.PasswordInput
    )
    new_routing_number = forms.CharField(
        required=False, label="Routing number", widget=forms.PasswordInput
    )

    class Meta:
        model = PayoutAccount
        fields = ["agent", "account_holder", "bank_name"]

    def clean(self):
        cleaned = super().clean()
        _, _, errors = payout_numbers_clean(
            {
                "account_number": cleaned.get("new_account_number"),
                "routing_number": cleaned.get("new_routing_number"),
            }
        )
        for field, messages in errors.items():
            self.add_error(f"new_{field}", messages)
        stored = self.instance.pk is not None
        for field in ("account_number", "routing_number"):
            if not stored and not cleaned.get(f"new_{field}"):
                self.add_error(f"new_{field}", "Enter the number.")
        return cleaned


@admin.register(PayoutAccount)
class PayoutAccountAdmin(BrokerageScopedAdmin):
    form = PayoutAccountAdminForm
    list_display = ["agent", "account_holder", "bank_name", "updated_at"]
    list_select_related = ["agent__user"]
    readonly_fields = ["account_number_masked", "routing_number_masked"]
    fields = [
        "agent",
        "account_holder",
        "bank_name",
        "account_number_masked",
        "new_account_number",
        "routing_number_masked",
        "new_routing_number",
    ]

    @admin.display(description="Stored account number")
    def account_number_masked(self, obj):
        return mask(obj.account_number) if obj else ""

    @admin.display(description="Stored routing number")
    def routing_number_masked(self, obj):
        return mask(obj.routing_number) if obj else ""

    def save_model(self, request, obj, form, change):
        data = {
            "account_holder": form.cleaned_data["account_holder"],
            "bank_name": form.cleaned_data["bank_name"],
            "account_number": form.cleaned_data["new_account_number"],
            "routing_number": form.cleaned_data["new_routing_number"],
        }
        saved = payout_account_save(agent=obj.agent, data=data, actor=request.user)
        obj.pk = saved.pk


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyScopedAdmin):
    """Sign-ins, failures, lockouts and refusals of the broker's brokerage, read-only."""

    list_display = ["created_at", "kind", "username", "user", "ip_address", "method", "path"]
    list_filter = ["kind", "created_at"]
    list_select_related = ["user"]
    search_fields = ["username", "ip_address", "path"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in SecurityEvent._meta.fields]
