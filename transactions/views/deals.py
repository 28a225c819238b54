"""Pages of deals: deals."""

urlpatterns = []
