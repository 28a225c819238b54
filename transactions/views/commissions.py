"""Pages of deals: commissions."""

urlpatterns = []
