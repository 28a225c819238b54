"""Pages of the CRM: people."""

urlpatterns = []
