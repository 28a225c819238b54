from agents.choices import ROLE_PRECEDENCE, Role
from agents.models import Agent


def agent_role_for_user(*, user):
    """The user's agent profile (or None) and their highest role (or None)."""
    if not user.is_authenticated:
        return None, None
    agent = Agent.objects.select_related("brokerage").filter(user=user, is_active=True).first()
    labels = set(user.groups.values_list("name", flat=True))
    role = next((r for r in ROLE_PRECEDENCE if r.label in labels), None)
    if agent is not None and role is None:
        role = Role.VIEWER
    return agent, role


def agent_cards():
    """Agents with what an agent card shows, in name order."""
    return Agent.objects.select_related("user", "office", "team", "brokerage").order_by(
        "user__last_name", "user__first_name", "pk"
    )
