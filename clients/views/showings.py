"""Pages of the CRM: showings."""

urlpatterns = []
