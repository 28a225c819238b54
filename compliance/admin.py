"""The broker's back office for compliance: consent log, do-not-contact list, data retention
and agents' payout accounts (bank numbers typed, never shown)."""

from django import forms
from django.contrib import admin

from compliance.encryption import mask
from compliance.models import (
    ConsentRecord,
    DoNotContactEntry,
    PayoutAccount,
    RetentionPolicy,
    RetentionRun,
)
from compliance.services.payouts import payout_account_save, payout_numbers_clean
from compliance.services.retention import retention_policy_save
from realestate.admin import BrokerageScopedAdmin
from realestate.permissions import actor_for


class ReadOnlyScopedAdmin(BrokerageScopedAdmin):
    """A log: read, never written here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
