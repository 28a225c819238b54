"""The back office's webhook pages: subscriptions and incoming endpoints (secrets never shown),
their delivery and request logs read-only, replay and test send through the services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from agents.choices import EventName
from agents.models import (
    IncomingWebhook,
    IncomingWebhookLog,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from agents.services.webhooks import (
    SUBSCRIPTION_FIELDS,
    incoming_endpoint_create,
    webhook_deliveries_replay,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_update,
    webhook_test_send,
    webhook_url_check,
)
from realestate.admin import BrokerageScopedAdmin, ReadOnlyScopedAdmin
from realestate.permissions import CHANGE, restrict


class WebhookSubscriptionAdminForm(forms.ModelForm):
    """A subscription's fields with its address checked as the pages check it."""

    url = forms.URLField(label="URL", max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=EventName.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event.",
    )

    class Meta:
        model = WebhookSubscription
        fields = ["brokerage", "url", "description", "events", "is_active"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            webhook_url_check(url)
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["url"]) from None
        return url


def _report(modeladmin, request, action):
    """Run ``action``; a refusal from the service is a message, not an error page."""
    try:
        return action()
    except (PermissionDenied, ValidationError) as error:
        modeladmin.message_user(request, " ".join(getattr(error, "messages", [str(error)])))
        return None


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(BrokerageScopedAdmin):
    form = WebhookSubscriptionAdminForm
    list_display = ["url", "description", "brokerage", "is_active", "created_at"]
    list_filter = ["brokerage", "is_active"]
    list_select_related = ["brokerage"]
    search_fields = ["url", "description"]
    readonly_fields = ["created_by", "created_at"]
    actions = ["send_test"]

    def save_model(self, request, obj, form, change):
        data = {field: form.cleaned_data[field] for field in SUBSCRIPTION_FIELDS}
        if change:
            webhook_subscription_update(subscription=obj, data=data, actor=request.user)
            return
        created = webhook_subscription_create(brokerage=obj.brokerage, actor=request.user, **data)
        obj.pk = created.subscription.pk
        # The one time the secret is shown: the receiving system needs it to check signatures.
        self.message_user(
            request,
            f"The signing secret of {created.subscription.url} is {created.secret} — copy it "
            "now, it is not shown again.",
            messages.WARNING,
        )

    def delete_model(self, request, obj):
        webhook_subscription_delete(subscription=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for subscription in queryset:
            webhook_subscription_delete(subscription=subscription, actor=request.user)

    @admin.action(description="Send a test message to the selected subscriptions")
    def send_test(self, request, queryset):
        sent = 0
        for subscription in restrict(queryset, request.user, CHANGE):
            if _report(
                self,
                request,
                lambda s=subscription: webhook_test_send(subscription=s, actor=request.user),
            ):
                sent += 1
        self.message_user(request, f"{sent} test message(s) queued.", messages.SUCCESS)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["attempted_at", "status_code", "error", "duration_ms", "response_excerpt"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyScopedAdmin):
    list_display = [
        "message_id",
        "event_name",
        "subscription",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status", "is_test", "subscription"]
    list_select_related = ["subscription"]
    search_fields = ["message_id", "event_name"]
    inlines = [WebhookAttemptInline]
    actions = ["replay"]

    @admin.action(description="Replay the selected deliveries")
    def replay(self, request, queryset):
        deliveries = restrict(queryset, request.user, CHANGE).select_related("subscription")
        count = _report(
            self,
            request,
            lambda: webhook_deliveries_replay(deliveries=deliveries, actor=request.user),
        )
        if count is not None:
            self.message_user(request, f"{count} delivery(ies) queued again.", messages.SUCCESS)


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(ReadOnlyScopedAdmin):
    list_display = ["delivery", "attempted_at", "status_code", "error", "duration_ms"]
    list_select_related = ["delivery"]
    search_fields = ["delivery__message_id", "error"]


class IncomingWebhookAdminForm(forms.ModelForm):
    class Meta:
        model = IncomingWebhook
        fields = ["brokerage", "name", "kind", "lead_source", "is_active"]


@admin.register(IncomingWebhook)
class IncomingWebhookAdmin(BrokerageScopedAdmin):
    form = IncomingWebhookAdminForm
    list_display = ["name", "kind", "brokerage", "lead_source", "is_active", "created_at"]
    list_filter = ["brokerage", "kind", "is_active"]
    list_select_related = ["brokerage", "lead_source"]
    search_fields = ["name"]
    readonly_fields = ["token", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # What an endpoint receives is fixed once the sender was given its address.
        return [*fields, "kind"] if obj is not None else fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        webhook = incoming_endpoint_create(
            brokerage=obj.brokerage,
            name=obj.name,
            kind=obj.kind,
            lead_source=obj.lead_source,
            actor=request.user,
        )
        obj.pk = webhook.pk
        self.message_user(
            request,
            f"The signing secret of {webhook.name} is {webhook.secret} — copy it now, it is not "
            "shown again.",
            messages.WARNING,
        )


@admin.register(IncomingWebhookLog)
class IncomingWebhookLogAdmin(ReadOnlyScopedAdmin):
    list_display = [
        "webhook",
        "received_at",
        "status_code",
        "verified",
        "message_id",
        "remote_addr",
    ]
    list_filter = ["verified", "status_code", "webhook"]
    list_select_related = ["webhook"]
    search_fields = ["message_id", "error"]
