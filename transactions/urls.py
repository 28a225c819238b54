from transactions.views import commissions, deals, documents

app_name = "transactions"

urlpatterns = [*deals.urlpatterns, *documents.urlpatterns, *commissions.urlpatterns]
