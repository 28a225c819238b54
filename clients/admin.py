"""The broker's back office for clients and leads: lead sources, tags, routing rules and their
decisions, intake keys, and handing clients out. Clients and their records are edited in the
CRM's pages, where their details are checked; here they are read and reassigned."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.template.response import TemplateResponse

from agents.models import Agent
from clients.choices import RoutingMethod
from clients.models import (
    Activity,
    Campaign,
    CampaignStep,
    Client,
    ClientSegment,
    IntakeKey,
    LeadSource,
    MessageTemplate,
    OutreachAttempt,
    OutreachSettings,
    RoutingDecision,
    RoutingRule,
    SavedSearch,
    Showing,
    Suppression,
    Tag,
    Task,
)
from clients.services.intake import intake_key_create, intake_key_revoke
from clients.services.routing import clients_reassign, clients_return_to_pond
from compliance.encryption import mask
from properties.forms import CommaSeparatedListField
from realestate.admin import BrokerageScopedAdmin
from realestate.permissions import VIEW, actor_for, is_scoped, restrict


class ClientsAdmin(BrokerageScopedAdmin):
    """Many-to-many choices, like foreign keys, only offer the broker's own rows."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        related = db_field.related_model
        if is_scoped(related):
            choices = restrict(related._default_manager.all(), request.user, VIEW)
            if related is Agent:
                choices = choices.select_related("user").filter(is_active=True)
            kwargs["queryset"] = choices
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class AgentListFilter(admin.RelatedOnlyFieldListFilter):
    """Agents that appear in the list, named in one query rather than one per agent."""

    def field_choices(self, field, request, model_admin):
        used = model_admin.get_queryset(request).values(f"{self.field_path}__pk")
        agents = Agent.objects.filter(pk__in=used).select_related("user")
        return [(agent.pk, agent.name) for agent in agents]


class RecordAdmin(ClientsAdmin):
    """Records the product writes (timeline, tasks, showings ...): read here, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LeadSource)
class LeadSourceAdmin(ClientsAdmin):
    list_display = ["name", "brokerage", "is_active"]
    list_filter = ["brokerage", "is_active"]
    list_select_related = ["brokerage"]
    search_fields = ["name"]


@admin.register(Tag)
class TagAdmin(ClientsAdmin):
    list_display = ["name", "brokerage"]
    list_filter = ["brokerage"]
    list_select_related = ["brokerage"]
    search_fields = ["name"]


class RoutingRuleForm(forms.ModelForm):
    """A routing rule; its agents and sources are of its brokerage, its areas typed as a line."""

    areas = CommaSeparatedListField(
        label="Areas",
        help_text="By area: the cities or postal codes this rule takes, separated by commas.",
    )

    class Meta:
        model = RoutingRule
        fields = [
            "brokerage",
            "name",
            "method",
            "agents",
            "sources",
            "areas",
            "claim_timeout_minutes",
            "position",
            "is_active",
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("method") == RoutingMethod.BY_AREA and not cleaned.get("areas"):
            self.add_error("areas", "A rule by area needs at least one city or postal code.")
        brokerage = cleaned.get("brokerage")
        brokerage_id = brokerage.pk if brokerage else self.instance.brokerage_id
        brokerage_id = brokerage_id or getattr(self, "scoped_brokerage_id", None)
        for name in ("agents", "sources"):
            chosen = cleaned.get(name) or []
            if brokerage_id and any(row.brokerage_id != brokerage_id for row in chosen):
                self.add_error(name, "Choose from the rule's brokerage.")
        return cleaned


@admin.register(RoutingRule)
class RoutingRuleAdmin(ClientsAdmin):
    form = RoutingRuleForm
    list_display = [
        "name",
        "brokerage",
        "method",
        "position",
        "agent_count",
        "claim_timeout_minutes",
        "assigned_count",
        "is_active",
    ]
    list_filter = ["brokerage", "method", "is_active"]
    list_select_related = ["brokerage"]
    search_fields = ["name"]
    filter_horizontal = ["agents", "sources"]
    readonly_fields = ["assigned_count"]
    ordering = ["position", "pk"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(agent_total=Count("agents"))

    @admin.display(description="Agents", ordering="agent_total")
    def agent_count(self, rule):
        return rule.agent_total


@admin.register(RoutingDecision)
class RoutingDecisionAdmin(RecordAdmin):
    list_display = ["decided_at", "client", "outcome", "agent", "rule", "reason"]
    list_filter = ["outcome", "rule"]
    list_select_related = ["client", "agent__user", "rule"]
    search_fields = ["client__first_name", "client__last_name", "client__email", "reason"]
    date_hierarchy = "decided_at"


class IntakeKeyForm(forms.ModelForm):
    class Meta:
        model = IntakeKey
        fields = ["brokerage", "name", "source"]

    def clean(self):
        cleaned = super().clean()
        brokerage, source = cleaned.get("brokerage"), cleaned.get("source")
        if brokerage and source and source.brokerage_id != brokerage.pk:
            self.add_error("source", "Choose a lead source of the key's brokerage.")
        return cleaned


@admin.register(IntakeKey)
class IntakeKeyAdmin(ClientsAdmin):
    """Keys for lead providers and websites' servers; a new key is shown once, then only its
    first characters."""

    form = IntakeKeyForm
    list_display = ["name", "brokerage", "prefix", "source", "created_at", "last_used_at", "state"]
    list_filter = ["brokerage"]
    list_select_related = ["brokerage", "source"]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    @admin.display(description="State")
    def state(self, key):
        return "Revoked" if key.is_revoked else "In use"

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        who = actor_for(request.user)
        brokerage = obj.brokerage if request.user.is_superuser else who.brokerage
        key, secret = intake_key_create(
            brokerage=brokerage, name=obj.name, source=form.cleaned_data.get("source")
        )
        for field in ("pk", "brokerage_id", "prefix", "digest", "created_at"):
            setattr(obj, field, getattr(key, field))
        obj._state.adding = False
        self.message_user(
            request,
            f"The intake key is {secret} — copy it now: it is not shown again. Send it as "
            f"“Authorization: IntakeKey {secret}” with each lead.",
            messages.WARNING,
        )

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke(self, request, queryset):
        for key in queryset:
            intake_key_revoke(intake_key=key)
        self.message_user(request, "The keys are revoked.", messages.SUCCESS)


class ReassignForm(forms.Form):
    agent = forms.ModelChoiceField(queryset=Agent.objects.none(), label="Hand them to")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = (
            restrict(Agent.objects.select_related("user"), user)
            .filter(is_active=True)
            .order_by("user__first_name", "user__last_name", "pk")
        )
        self.fields["agent"].label_from_instance = lambda agent: agent.name


@admin.register(Client)
class ClientAdmin(ClientsAdmin):
    list_display = [
        "name",
        "email",
        "phone",
        "stage",
        "assigned_agent",
        "source",
        "in_pond",
        "score",
        "created_at",
    ]
    list_filter = [
        "brokerage",
        "stage",
        "in_pond",
        "source",
        ("assigned_agent", AgentListFilter),
        "tags",
    ]
    list_select_related = ["brokerage", "assigned_agent__user", "source"]
    search_fields = ["first_name", "last_name", "email", "phone"]
    date_hierarchy = "created_at"
    actions = ["reassign_to_agent", "return_to_pond"]
    # The government ID is encrypted and never shown in full, here as anywhere.
    readonly_fields = ["government_id_masked"]

    @admin.display(description="Government ID")
    def government_id_masked(self, obj):
        return mask(obj.government_id) if obj else ""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # A client's page here is read-only; the actions hand out the selected clients.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Reassign to an agent…", permissions=["change"])
    def reassign_to_agent(self, request, queryset):
        form = ReassignForm(request.POST if "apply" in request.POST else None, user=request.user)
        if form.is_bound and form.is_valid():
            agent = form.cleaned_data["agent"]
            try:
                moved = clients_reassign(clients=queryset, agent=agent, actor=request.user)
            except (ValidationError, PermissionDenied) as error:
                self.message_user(request, " ".join(_messages(error)), messages.ERROR)
            else:
                self.message_user(
                    request, f"{moved} client(s) reassigned to {agent.name}.", messages.SUCCESS
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Reassign clients",
            "opts": self.model._meta,
            "clients": queryset.select_related("assigned_agent__user"),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/clients/client/reassign.html", context)

    @admin.action(description="Return to the shared pond", permissions=["change"])
    def return_to_pond(self, request, queryset):
        try:
            moved = clients_return_to_pond(clients=queryset, actor=request.user)
        except (ValidationError, PermissionDenied) as error:
            self.message_user(request, " ".join(_messages(error)), messages.ERROR)
        else:
            self.message_user(request, f"{moved} client(s) are in the pond.", messages.SUCCESS)


def _messages(error):
    return error.messages if isinstance(error, ValidationError) else [str(error)]


@admin.register(Activity)
class ActivityAdmin(RecordAdmin):
    list_display = ["occurred_at", "client", "kind", "subject", "actor"]
    list_filter = ["kind"]
    list_select_related = ["client", "actor"]
    search_fields = ["subject", "client__first_name", "client__last_name"]
    date_hierarchy = "occurred_at"


@admin.register(Task)
class TaskAdmin(RecordAdmin):
    list_display = ["title", "assigned_agent", "client", "due_date", "priority", "done_at"]
    list_filter = ["priority", ("assigned_agent", AgentListFilter)]
    list_select_related = ["assigned_agent__user", "client"]
    search_fields = ["title", "client__first_name", "client__last_name"]


@admin.register(SavedSearch)
class SavedSearchAdmin(RecordAdmin):
    list_display = ["name", "client", "frequency", "is_active", "last_sent_at"]
    list_filter = ["frequency", "is_active"]
    list_select_related = ["client"]
    search_fields = ["name", "client__first_name", "client__last_name"]


@admin.register(Showing)
class ShowingAdmin(RecordAdmin):
    list_display = ["starts_at", "listing", "client", "agent", "status"]
    list_filter = ["status", ("agent", AgentListFilter)]
    list_select_related = ["listing", "client", "agent__user"]
    search_fields = ["client__first_name", "client__last_name", "listing__city"]
    date_hierarchy = "starts_at"


# ---------------------------------------------------------------------------------------------
# Outreach: templates, segments and campaigns are built in the CRM's pages, where their rules
# (Fair Housing, merge fields, filters) are checked; here they are read. The broker sets the
# sending limits and quiet hours, and may lift a suppression.


@admin.register(MessageTemplate)
class MessageTemplateAdmin(RecordAdmin):
    list_display = ["name", "channel", "owner", "updated_at"]
    list_filter = ["channel"]
    list_select_related = ["owner__user"]
    search_fields = ["name", "subject"]


@admin.register(ClientSegment)
class ClientSegmentAdmin(RecordAdmin):
    list_display = ["name", "query", "owner"]
    list_select_related = ["owner__user"]
    search_fields = ["name"]


class CampaignStepInline(admin.TabularInline):
    model = CampaignStep
    fields = ["position", "template", "delay_hours"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Campaign)
class CampaignAdmin(RecordAdmin):
    list_display = ["name", "kind", "status", "segment", "owner", "started_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["segment", "owner__user"]
    search_fields = ["name"]
    inlines = [CampaignStepInline]


@admin.register(OutreachAttempt)
class OutreachAttemptAdmin(RecordAdmin):
    list_display = ["created_at", "client", "channel", "campaign", "status", "to_address"]
    list_filter = ["channel", "status"]
    list_select_related = ["client", "campaign"]
    search_fields = ["to_address", "provider_message_id", "client__last_name"]
    date_hierarchy = "created_at"


@admin.register(Suppression)
class SuppressionAdmin(ClientsAdmin):
    list_display = ["address", "channel", "reason", "created_at"]
    list_filter = ["channel", "reason"]
    search_fields = ["address"]
    readonly_fields = ["attempt"]


@admin.register(OutreachSettings)
class OutreachSettingsAdmin(ClientsAdmin):
    list_display = ["brokerage", "email_per_minute", "text_per_minute", "quiet_hours_start"]
    list_select_related = ["brokerage"]
