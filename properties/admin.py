from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from compliance.services.licences import licence_assert_active
from properties.models import CMA, PriceChange, Property, PropertyMedia, StatusChange
from properties.services import (
    LISTING_EDITABLE_FIELDS,
    LISTING_SYSTEM_FIELDS,
    listing_archive,
    listing_create,
    listing_restore,
    listing_update,
    media_delete,
)
from properties.tasks import media_process_task
from realestate.admin import FORMFIELD_OVERRIDES, BrokerageScopedAdmin


class PropertyMediaInline(admin.TabularInline):
    model = PropertyMedia
    extra = 0
    formfield_overrides = FORMFIELD_OVERRIDES
    fields = ["position", "caption", "status", "media_key", "media_url", "error"]
    readonly_fields = ["position", "status", "media_key", "media_url", "error"]
    show_change_link = True
    can_delete = False  # a photo is removed through its own page, which removes its files

    def has_add_permission(self, request, obj=None):
        # Photos are added through the listing page or the API, which validate the image.
        return False


class HistoryInline(admin.TabularInline):
    extra = 0
    can_delete = False
    readonly_fields = ["changed_at", "changed_by", "source"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PriceChangeInline(HistoryInline):
    model = PriceChange
    fields = ["changed_at", "old_price", "new_price", "changed_by", "source"]
    readonly_fields = fields


class StatusChangeInline(HistoryInline):
    model = StatusChange
    fields = ["changed_at", "old_status", "new_status", "changed_by", "source"]
    readonly_fields = fields


class PropertyAdminForm(forms.ModelForm):
    """A listing handed to an agent needs their licence in good standing, shown on the field."""

    def clean(self):
        cleaned = super().clean()
        if "list_agent" in self.changed_data:
            try:
                licence_assert_active(agent=cleaned.get("list_agent"), field="list_agent")
            except ValidationError as exc:
                self.add_error(None, exc)
        return cleaned


@admin.register(Property)
class PropertyAdmin(BrokerageScopedAdmin):
    form = PropertyAdminForm
    list_display = [
        "__str__",
        "listing_id",
        "standard_status",
        "property_type",
        "list_price",
        "list_agent",
        "brokerage",
        "source",
        "modification_timestamp",
    ]
    list_filter = [
        "brokerage",
        "standard_status",
        "property_type",
        "source",
        "state_or_province",
        ("archived_at", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["brokerage", "list_agent__user"]
    search_fields = [
        "listing_key",
        "listing_id",
        "street_name",
        "street_number",
        "city",
        "postal_code",
    ]
    readonly_fields = [name for name in LISTING_SYSTEM_FIELDS if name != "brokerage"]
    autocomplete_fields = ["list_agent"]
    date_hierarchy = "modification_timestamp"
    inlines = [PropertyMediaInline, PriceChangeInline, StatusChangeInline]
    actions = ["archive", "restore"]

    def has_delete_permission(self, request, obj=None):
        # A listing and its history are never deleted: archive it instead.
        return False

    def save_model(self, request, obj, form, change):
        # Listings change only through their service, which writes the price/status history.
        data = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in LISTING_EDITABLE_FIELDS
        }
        if change:
            stored = Property.objects.get(pk=obj.pk)
            listing_update(listing=stored, data=data, actor=request.user)
        else:
            data = {
                name: form.cleaned_data[name]
                for name in form.cleaned_data
                if name in LISTING_EDITABLE_FIELDS
            }
            obj.pk = listing_create(data=data, actor=request.user).pk

    @admin.action(description="Archive selected listings")
    def archive(self, request, queryset):
        for listing in queryset:
            listing_archive(listing=listing, actor=request.user)

    @admin.action(description="Restore selected listings")
    def restore(self, request, queryset):
        for listing in queryset:
            listing_restore(listing=listing, actor=request.user)


@admin.register(PropertyMedia)
class PropertyMediaAdmin(BrokerageScopedAdmin):
    list_display = ["__str__", "property", "position", "status", "width", "height", "created_at"]
    list_filter = ["status", "property__brokerage"]
    list_select_related = ["property"]
    search_fields = ["caption", "media_key", "property__listing_key", "property__street_name"]
    readonly_fields = [
        "uuid",
        "original",
        "checksum",
        "width",
        "height",
        "variants",
        "status",
        "error",
        "created_at",
    ]
    raw_id_fields = ["property"]
    actions = ["reprocess"]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # Which listing a photo belongs to, and its place, are the photo services' business.
        return [*fields, "property", "position"] if obj else fields

    def delete_model(self, request, obj):
        media_delete(media=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for media in queryset.select_related("property"):
            media_delete(media=media, actor=request.user)

    def has_add_permission(self, request):
        # Photos are added through the listing page or the API, which validate the image.
        return False

    @admin.action(description="Make the photo variants again")
    def reprocess(self, request, queryset):
        for media_id in queryset.values_list("pk", flat=True):
            media_process_task.delay(media_id=media_id)
        self.message_user(request, "The photos are queued for processing.", messages.SUCCESS)


class HistoryAdmin(BrokerageScopedAdmin):
    list_select_related = ["property", "changed_by"]
    list_filter = ["source", "property__brokerage"]
    search_fields = ["property__listing_key", "property__street_name", "property__city"]
    date_hierarchy = "changed_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PriceChange)
class PriceChangeAdmin(HistoryAdmin):
    list_display = ["property", "old_price", "new_price", "changed_at", "changed_by", "source"]


@admin.register(StatusChange)
class StatusChangeAdmin(HistoryAdmin):
    list_display = ["property", "old_status", "new_status", "changed_at", "changed_by", "source"]


@admin.register(CMA)
class CMAAdmin(BrokerageScopedAdmin):
    """Saved CMAs, read-only: they are made and saved on the CMA page."""

    list_display = [
        "title",
        "as_of",
        "estimate",
        "confidence",
        "client",
        "created_by",
        "created_at",
    ]
    list_select_related = ["client", "created_by"]
    list_filter = ["brokerage", "confidence_label"]
    search_fields = ["title"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
