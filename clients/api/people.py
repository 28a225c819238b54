"""API of the CRM: people."""

urlpatterns = []


def register(router):
    """Add this area's viewsets to the API router."""
