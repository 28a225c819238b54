"""Pages of deals: documents."""

urlpatterns = []
