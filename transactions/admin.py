"""The broker's back office for deals: checklist templates, the document review queue and
commission plans; deals and statements are read here and run in the CRM's pages."""

from django import forms
from django.contrib import admin

from realestate.admin import BrokerageScopedAdmin, ReadOnlyScopedAdmin
from transactions.choices import ReviewState, Side
from transactions.models import (
    ChecklistItem,
    ChecklistTemplate,
    CommissionPlan,
    CommissionStatement,
    Document,
    PlanAssignment,
    Transaction,
)
from transactions.services.commissions import commission_plan_save
from transactions.services.documents import document_review


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 1
    fields = [
        "position",
        "title",
        "due_from",
        "due_offset_days",
        "requires_document",
        "required_for_closing",
    ]
    ordering = ["position", "pk"]


class ChecklistTemplateForm(forms.ModelForm):
    """A template; its sides are ticked and its states typed as two-letter codes."""

    sides = forms.MultipleChoiceField(
        choices=Side.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every side.",
    )
    states = forms.CharField(
        required=False,
        help_text="Two-letter state codes separated by commas (MA, NH); empty: every state.",
    )

    class Meta:
        model = ChecklistTemplate
        fields = ["brokerage", "name", "sides", "states", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["states"] = ", ".join(self.instance.states or [])

    def clean_states(self):
        codes = [code.strip().upper() for code in self.cleaned_data["states"].split(",")]
        codes = [code for code in codes if code]
        bad = [code for code in codes if len(code) != 2 or not code.isalpha()]
        if bad:
            raise forms.ValidationError(f"Not a state code: {', '.join(bad)}.")
        return codes


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(BrokerageScopedAdmin):
    form = ChecklistTemplateForm
    inlines = [ChecklistItemInline]
    list_display = ["name", "brokerage", "side_list", "state_list", "is_active"]
    list_filter = ["brokerage", "is_active"]
    list_select_related = ["brokerage"]
    search_fields = ["name"]

    @admin.display(description="Sides")
    def side_list(self, template):
        labels = dict(Side.choices)
        return ", ".join(labels.get(side, side) for side in template.sides) or "Every side"

    @admin.display(description="States")
    def state_list(self, template):
        return ", ".join(template.states) or "Every state"


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyScopedAdmin):
    """Deals are run in the CRM's pages, where their rules apply; here they are read."""

    list_display = ["name", "stage", "side", "agent", "closing_on", "sale_price", "closed_on"]
    list_filter = ["brokerage", "stage", "side"]
    list_select_related = ["brokerage", "agent__user"]
    search_fields = ["name"]
    date_hierarchy = "created_at"


@admin.register(Document)
class DocumentAdmin(BrokerageScopedAdmin):
    """The review queue in the back office: documents approved or returned with a note."""

    list_display = [
        "title",
        "transaction",
        "milestone",
        "version",
        "review_state",
        "uploaded_by",
        "uploaded_at",
    ]
    list_filter = ["review_state"]
    list_select_related = ["transaction", "milestone", "uploaded_by"]
    search_fields = ["title", "transaction__name"]
    readonly_fields = [
        "transaction",
        "milestone",
        "title",
        "original_name",
        "file",
        "sha256",
        "size",
        "content_type",
        "uploaded_by",
        "uploaded_at",
        "review_state",
        "reviewed_by",
        "reviewed_at",
        "version",
        "replaces",
    ]
    actions = ["approve"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Approve the selected documents")
    def approve(self, request, queryset):
        approved = 0
        for document in queryset.filter(review_state=ReviewState.SUBMITTED):
            document_review(document=document, approve=True, note="", actor=request.user)
            approved += 1
        self.message_user(
            request,
            f"{approved} document(s) approved. A document is returned from its deal's page.",
        )


@admin.register(CommissionPlan)
class CommissionPlanAdmin(BrokerageScopedAdmin):
    """A plan in use by statements is never changed: saving it makes a new version."""

    list_display = ["name", "version", "brokerage", "is_active"]
    list_filter = ["brokerage", "is_active"]
    readonly_fields = ["version", "previous"]

    def save_model(self, request, obj, form, change):
        commission_plan_save(plan=obj, actor=request.user)


@admin.register(PlanAssignment)
class PlanAssignmentAdmin(BrokerageScopedAdmin):
    list_display = ["agent", "plan", "starts_on", "anniversary", "team_leader"]
    list_select_related = ["agent__user", "plan", "team_leader__user"]


@admin.register(CommissionStatement)
class CommissionStatementAdmin(BrokerageScopedAdmin):
    """Statements are built, approved and paid on their pages; here they are read."""

    list_display = ["transaction", "agent", "status", "agent_net", "closed_on"]
    list_filter = ["status"]
    list_select_related = ["transaction", "agent__user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
