from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from mls.choices import ProviderKind, RunKind
from mls.models import MLSProvider, SyncError, SyncRun
from mls.providers.csv import csv_upload_check
from mls.services import (
    provider_feed_upload,
    provider_save,
    provider_unschedule,
    sync_run_cancel,
    sync_run_start,
)
from realestate.admin import BrokerageScopedAdmin
from realestate.forms import formfield_https

SECRET_FIELDS = ("client_secret", "bearer_token", "password")


class MLSProviderForm(forms.ModelForm):
    """Secrets are written, never shown back: an empty box keeps the stored value."""

    class Meta:
        formfield_callback = formfield_https
        model = MLSProvider
        fields = [
            "brokerage",
            "name",
            "kind",
            "endpoint",
            "feed_file",
            "auth_kind",
            "token_url",
            "client_id",
            "client_secret",
            "scope",
            "bearer_token",
            "username",
            "password",
            "search_class",
            "field_mapping",
            "page_size",
            "max_requests_per_second",
            "sync_interval_minutes",
            "enabled",
            "allow_private_network",
        ]
        widgets = {name: forms.PasswordInput(render_value=False) for name in SECRET_FIELDS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SECRET_FIELDS:
            if name in self.fields:
                self.fields[name].required = False
                if self.instance.pk and getattr(self.instance, name):
                    self.fields[name].help_text = "Stored. Leave empty to keep it."

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("feed_file")
        if isinstance(upload, UploadedFile):
            try:
                csv_upload_check(upload, cleaned.get("field_mapping"))
            except ValidationError as error:
                self.add_error("feed_file", error)
        for name in SECRET_FIELDS:
            if name in self.fields and not cleaned.get(name) and self.instance.pk:
                if name == "password" and cleaned.get("kind") != ProviderKind.RETS:
                    # Only a RETS feed has a password: one changed to another kind drops it.
                    continue
                cleaned[name] = MLSProvider.objects.get(pk=self.instance.pk).__dict__[name]
                setattr(self.instance, name, cleaned[name])
        return cleaned


class SyncErrorInline(admin.TabularInline):
    model = SyncError
    extra = 0
    can_delete = False
    fields = ["listing_key", "reason", "created_at"]
    readonly_fields = fields
    max_num = 0


@admin.register(MLSProvider)
class MLSProviderAdmin(BrokerageScopedAdmin):
    form = MLSProviderForm
    list_display = [
        "name",
        "brokerage",
        "kind",
        "enabled",
        "sync_interval_minutes",
        "high_water_mark",
    ]
    list_filter = ["brokerage", "kind", "enabled"]
    list_select_related = ["brokerage"]
    search_fields = ["name", "endpoint"]
    readonly_fields = ["high_water_mark", "created_at", "updated_at"]
    actions = ["sync_now", "sync_full", "enable", "disable"]

    def save_model(self, request, obj, form, change):
        upload = form.cleaned_data.get("feed_file")
        if "feed_file" in form.changed_data and isinstance(upload, UploadedFile):
            run = provider_feed_upload(provider=obj, upload=upload, actor=request.user)
            message = (
                "The uploaded file is stored; its sync is queued."
                if run
                else "The uploaded file is stored; the next sync reads it."
            )
            self.message_user(request, message, messages.SUCCESS)
        else:
            provider_save(provider=obj, actor=request.user)

    def delete_model(self, request, obj):
        provider_unschedule(provider=obj)
        super().delete_model(request, obj)

    def _start(self, request, queryset, kind):
        for provider in queryset:
            sync_run_start(provider=provider, kind=kind, actor=request.user)
        self.message_user(request, "The syncs are queued.", messages.SUCCESS)

    @admin.action(description="Sync now (changes since the last sync)")
    def sync_now(self, request, queryset):
        self._start(request, queryset, RunKind.INCREMENTAL)

    @admin.action(description="Sync the whole feed again")
    def sync_full(self, request, queryset):
        self._start(request, queryset, RunKind.FULL)

    def _set_enabled(self, request, queryset, enabled):
        for provider in queryset:
            provider.enabled = enabled
            provider_save(provider=provider, actor=request.user)

    @admin.action(description="Enable the scheduled syncs")
    def enable(self, request, queryset):
        self._set_enabled(request, queryset, True)

    @admin.action(description="Disable the scheduled syncs")
    def disable(self, request, queryset):
        self._set_enabled(request, queryset, False)


@admin.register(SyncRun)
class SyncRunAdmin(BrokerageScopedAdmin):
    list_display = [
        "provider",
        "kind",
        "state",
        "queued_at",
        "fetched",
        "created",
        "updated",
        "unchanged",
        "off_market",
        "failed",
    ]
    list_filter = ["state", "kind", "provider"]
    list_select_related = ["provider"]
    readonly_fields = [field.name for field in SyncRun._meta.fields]
    inlines = [SyncErrorInline]
    actions = ["cancel"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Cancel the selected runs")
    def cancel(self, request, queryset):
        for run in queryset:
            sync_run_cancel(run=run, actor=request.user)
