"""Pages of the CRM: intake."""

urlpatterns = []
