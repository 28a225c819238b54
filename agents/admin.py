from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.html import format_html

from agents.choices import Role
from agents.models import Agent, Brokerage, Event, Notification, Office, Team
from agents.selectors import agent_role_for_user
from agents.services.people import agent_create, agent_set_role
from properties.models import storage_url
from realestate.admin import BrokerageScopedAdmin, ReadOnlyScopedAdmin
from realestate.permissions import actor_for


@admin.register(Brokerage)
class BrokerageAdmin(BrokerageScopedAdmin):
    list_display = ["name", "slug", "license_number", "phone", "created_at"]
    search_fields = ["name", "slug", "license_number"]
    readonly_fields = ["created_at", "logo_preview"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "license_number", "phone", "email", "website"]}),
        (
            "Brand kit",
            {
                "fields": [
                    "brand_logo",
                    "logo_preview",
                    "brand_primary_color",
                    "brand_accent_color",
                    "brand_font",
                    "brand_disclaimer",
                ],
                "description": "What flyers, open-house sheets, social images, CMA reports and "
                "email signatures wear.",
            },
        ),
        ("Record", {"fields": ["created_at"]}),
    ]

    @admin.display(description="Logo preview")
    def logo_preview(self, obj):
        url = storage_url(obj.brand_logo.name) if obj and obj.brand_logo else ""
        if not url:
            return "No logo: materials show the drawn house mark."
        return format_html(
            '<img src="{}" alt="{} logo" width="120" height="120" class="brand-logo-preview">',
            url,
            obj.name,
        )

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return fields if request.user.is_superuser else [*fields, "slug"]

    def get_prepopulated_fields(self, request, obj=None):
        # A read-only slug is not in the form: nothing to fill in from the name.
        return super().get_prepopulated_fields(request, obj) if request.user.is_superuser else {}


@admin.register(Office)
class OfficeAdmin(BrokerageScopedAdmin):
    list_display = ["name", "brokerage", "city", "state_or_province", "phone"]
    list_filter = ["brokerage", "state_or_province"]
    list_select_related = ["brokerage"]
    search_fields = ["name", "city", "postal_code", "mls_office_id"]


@admin.register(Team)
class TeamAdmin(BrokerageScopedAdmin):
    list_display = ["name", "brokerage", "office", "lead"]
    list_filter = ["brokerage", "office"]
    list_select_related = ["brokerage", "office", "lead__user"]
    search_fields = ["name"]


class AgentAdminForm(forms.ModelForm):
    """The agent profile, with the person's role and, when adding, their login."""

    role = forms.ChoiceField(choices=Role.choices, initial=Role.AGENT)
    username = forms.CharField(max_length=150, required=False)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)

    class Meta:
        model = Agent
        fields = [
            "brokerage",
            "office",
            "team",
            "is_active",
            "reviews_documents",
            "license_number",
            "license_state",
            "license_expires",
            "mls_agent_id",
            "title",
            "phone",
            "photo",
            "bio",
            "market_areas",
            "specialties",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            _, role = agent_role_for_user(user=self.instance.user)
            self.initial["role"] = role
            for name in ("username", "first_name", "last_name", "email"):
                self.fields[name].disabled = True
                self.initial[name] = getattr(self.instance.user, name)
        else:
            self.fields["username"].required = True

    def clean_username(self):
        username = self.cleaned_data["username"]
        if self.instance.pk:
            return self.instance.user.username
        user_model = get_user_model()
        user_model.username_validator(username)
        if user_model.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("Someone already has this username.")
        return username


@admin.register(Agent)
class AgentAdmin(BrokerageScopedAdmin):
    form = AgentAdminForm
    list_display = ["name", "brokerage", "office", "team", "license_number", "license_expires"]
    list_filter = ["brokerage", "office", "team", "is_active", "reviews_documents", "license_state"]
    list_select_related = ["user", "brokerage", "office", "team"]
    search_fields = [
        "user__username",
        "user__first_name",
        "user__last_name",
        "user__email",
        "license_number",
        "mls_agent_id",
    ]
    readonly_fields = ["created_at"]
    actions = ["make_agent", "make_assistant", "make_viewer", "make_broker"]
    fieldsets = [
        ("Person", {"fields": ["username", "first_name", "last_name", "email", "role"]}),
        (
            "Brokerage",
            {"fields": ["brokerage", "office", "team", "is_active", "reviews_documents"]},
        ),
        (
            "Licence",
            {"fields": ["license_number", "license_state", "license_expires", "mls_agent_id"]},
        ),
        (
            "Profile",
            {"fields": ["title", "phone", "photo", "bio", "market_areas", "specialties"]},
        ),
        ("Record", {"fields": ["created_at"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        if request.user.is_superuser:
            return self.fieldsets
        return [
            (name, {"fields": [f for f in opts["fields"] if f != "brokerage"]})
            for name, opts in self.fieldsets
        ]

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        role = form.cleaned_data["role"]
        if change:
            super().save_model(request, obj, form, change)
            agent_set_role(agent=obj, role=role)
            return
        brokerage = obj.brokerage if request.user.is_superuser else None
        profile = {
            field: form.cleaned_data[field]
            for field in form.cleaned_data
            if field not in {"role", "username", "first_name", "last_name", "email", "brokerage"}
        }
        created = agent_create(
            brokerage=brokerage or actor_for(request.user).brokerage,
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            role=role,
            **profile,
        )
        obj.pk = created.pk
        obj.user = created.user

    def _set_role(self, request, queryset, role):
        for agent in queryset.select_related("user"):
            agent_set_role(agent=agent, role=role)
        self.message_user(
            request, f"{queryset.count()} agent(s) are now {role.label}.", messages.SUCCESS
        )

    @admin.action(description="Make selected people agents")
    def make_agent(self, request, queryset):
        self._set_role(request, queryset, Role.AGENT)

    @admin.action(description="Make selected people assistants")
    def make_assistant(self, request, queryset):
        self._set_role(request, queryset, Role.ASSISTANT)

    @admin.action(description="Make selected people viewers (read-only)")
    def make_viewer(self, request, queryset):
        self._set_role(request, queryset, Role.VIEWER)

    @admin.action(description="Make selected people brokers (admin access)")
    def make_broker(self, request, queryset):
        self._set_role(request, queryset, Role.BROKER)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyScopedAdmin):
    """Who was told what, when they read it and whether it was emailed."""

    list_display = ["title", "recipient", "kind", "created_at", "read_at", "emailed_at"]
    list_filter = ["brokerage", "kind", ("read_at", admin.EmptyFieldListFilter)]
    list_select_related = ["recipient"]
    search_fields = ["title", "recipient__username", "recipient__email", "dedupe_key"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "recipient",
        "brokerage",
        "kind",
        "event",
        "title",
        "body",
        "url",
        "dedupe_key",
        "created_at",
        "read_at",
        "emailed_at",
    ]


from agents import webhook_admin  # noqa: E402, F401 - the webhook pages of the back office


@admin.register(Event)
class EventAdmin(ReadOnlyScopedAdmin):
    """The domain event log, read-only: what changed, when and by whom."""

    list_display = ["occurred_at", "name", "subject_type", "subject_id", "actor", "brokerage"]
    list_filter = ["name", "subject_type", "occurred_at", "brokerage"]
    list_select_related = ["actor", "subject_type", "brokerage"]
    search_fields = ["=subject_id", "=uid", "actor__username", "actor__last_name"]
    date_hierarchy = "occurred_at"
    readonly_fields = [
        "uid",
        "brokerage",
        "name",
        "occurred_at",
        "actor",
        "subject_type",
        "subject_id",
        "payload",
    ]
    fields = readonly_fields
