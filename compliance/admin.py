from django.contrib import admin

from compliance.models import SecurityEvent
from realestate.admin import BrokerageScopedAdmin


@admin.register(SecurityEvent)
class SecurityEventAdmin(BrokerageScopedAdmin):
    """Sign-ins, failures, lockouts and refusals of the broker's brokerage, read-only."""

    list_display = ["created_at", "kind", "username", "user", "ip_address", "method", "path"]
    list_filter = ["kind", "created_at"]
    list_select_related = ["user"]
    search_fields = ["username", "ip_address", "path"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in SecurityEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
