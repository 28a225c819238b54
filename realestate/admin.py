"""The broker's back office: admin classes that only ever show the broker's brokerage."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models

from realestate.permissions import CHANGE, DELETE, VIEW, actor_for, can, is_scoped, restrict

# Web addresses typed without a scheme are https.
FORMFIELD_OVERRIDES = {models.URLField: {"assume_scheme": "https"}}


class ScopedAdminFormMixin:
    """Sets the broker's brokerage before validation, so rules that involve it are checked.

    The brokerage is not a field of a broker's form, so Django would skip every constraint
    that names it (a second office of the same name) and the database would refuse the row.
    """

    scoped_brokerage_id = None

    def _post_clean(self):
        instance = self.instance
        owned = self.scoped_brokerage_id and hasattr(instance, "brokerage_id")
        if owned and not instance.brokerage_id:
            instance.brokerage_id = self.scoped_brokerage_id
        super()._post_clean()
        try:
            instance.validate_constraints()
        except ValidationError as exc:
            self._update_errors(exc)


class BrokerageScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rows, choices and permissions go through ``restrict()``.

    A superuser sees every brokerage; a broker sees and manages only their own.
    """

    formfield_overrides = FORMFIELD_OVERRIDES

    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user, VIEW)

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or can(request.user, obj, VIEW))

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or can(request.user, obj, CHANGE))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or can(request.user, obj, DELETE))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if is_scoped(related):
            kwargs["queryset"] = restrict(related._default_manager.all(), request.user, VIEW)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if request.user.is_superuser:
            return filters
        # A broker has one brokerage: filtering by it is noise. A related filter offers only
        # the values of the broker's own rows, never another brokerage's office or team names.
        return [
            (f, admin.RelatedOnlyFieldListFilter) if self._is_relation(f) else f
            for f in filters
            if f not in ("brokerage", "property__brokerage")
        ]

    def _is_relation(self, name):
        if not isinstance(name, str) or "__" in name:
            return False
        field = self.model._meta.get_field(name)
        return field.is_relation

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        brokerage_id = None if request.user.is_superuser else actor_for(request.user).brokerage_id
        return type(
            form.__name__, (ScopedAdminFormMixin, form), {"scoped_brokerage_id": brokerage_id}
        )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser and "brokerage" in self._form_field_names():
            fields.append("brokerage")
        return fields

    def _form_field_names(self):
        return {field.name for field in self.model._meta.fields}

    def save_model(self, request, obj, form, change):
        if not change and not request.user.is_superuser and hasattr(obj, "brokerage_id"):
            obj.brokerage_id = actor_for(request.user).brokerage_id
        super().save_model(request, obj, form, change)


class ReadOnlyScopedAdmin(BrokerageScopedAdmin):
    """Records the product writes (logs, reports, runs): read and filtered, never edited here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
