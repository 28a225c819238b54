"""API of the CRM: searches."""

urlpatterns = []


def register(router):
    """Add this area's viewsets to the API router."""
