"""Recording security events: who signed in, failed, was locked out or was refused."""

from django.contrib.auth import get_user_model

from compliance.models import SecurityEvent, SecurityEventKind
from realestate.security import client_ip

USER_AGENT_LENGTH = SecurityEvent._meta.get_field("user_agent").max_length
PATH_LENGTH = SecurityEvent._meta.get_field("path").max_length
USERNAME_LENGTH = SecurityEvent._meta.get_field("username").max_length


def _brokerage_id_of(user):
    agent = getattr(user, "agent", None) if user is not None else None
    return agent.brokerage_id if agent is not None else None


def security_event_record(*, kind, request=None, user=None, username=""):
    """Write one security event for ``request``; only the username tried, never a secret."""
    if kind not in SecurityEventKind.values:
        raise ValueError(f"unknown security event kind {kind!r}")
    user_model = get_user_model()
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if user is None and username:
        # A failure against a real account is shown to that account's brokerage.
        user_found = user_model._default_manager.filter(username=username).first()
        brokerage_id = _brokerage_id_of(user_found)
    else:
        brokerage_id = _brokerage_id_of(user)
    if user is not None and not username:
        username = user.get_username()
    event = SecurityEvent(
        kind=kind,
        user=user,
        username=(username or "")[:USERNAME_LENGTH],
        brokerage_id=brokerage_id,
    )
    if request is not None:
        event.ip_address = client_ip(request)
        event.user_agent = request.headers.get("User-Agent", "")[:USER_AGENT_LENGTH]
        event.method = request.method or ""
        event.path = request.path[:PATH_LENGTH]
    event.full_clean()
    event.save()
    return event
