"""API of deals: deals."""

urlpatterns = []


def register(router):
    """Add this area's viewsets to the API router."""
