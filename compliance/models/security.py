"""Security events (sign-ins, failures, lockouts, refusals) and the audit log's scope."""

from auditlog.models import LogEntry
from django.conf import settings
from django.db import models
from django.utils import timezone

from realestate.permissions import scoped

# An audit entry belongs to the brokerage of the person who made the change; an agent sees
# only their own entries, a broker every entry of the brokerage's people.
scoped(brokerage="actor__agent__brokerage", owner="actor", private=True)(LogEntry)


class SecurityEventKind(models.TextChoices):
    LOGIN = "login", "Signed in"
    LOGOUT = "logout", "Signed out"
    LOGIN_FAILED = "login_failed", "Sign-in failed"
    LOCKED_OUT = "locked_out", "Locked out"
    PERMISSION_DENIED = "permission_denied", "Permission denied"


@scoped(brokerage="brokerage", owner="user", private=True)
class SecurityEvent(models.Model):
    """One sign-in, sign-out, failed sign-in, lockout or refused request, for the audit page.

    It never holds a password or a token: only the username that was tried.
    """

    kind = models.CharField(max_length=20, choices=SecurityEventKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="security_events",
    )
    username = models.CharField(max_length=150, blank=True, help_text="The username tried.")
    brokerage = models.ForeignKey(
        "agents.Brokerage",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="security_events",
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    method = models.CharField(max_length=10, blank=True)
    path = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["brokerage", "-created_at"], name="security_event_brokerage"),
        ]

    def __str__(self):
        who = self.username or (self.user and self.user.get_username()) or "someone"
        return f"{self.get_kind_display()}: {who}"
