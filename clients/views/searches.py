"""Pages of the CRM: searches."""

urlpatterns = []
