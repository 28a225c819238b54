"""Template context shared by every page."""

from realestate.permissions import actor_for


def actor(request):
    """The signed-in person's brokerage role, for navigation and page chrome."""
    if not request.user.is_authenticated:
        return {}
    return {"actor": actor_for(request.user)}
