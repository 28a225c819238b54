from compliance.views import fair_housing, licences

app_name = "compliance"

urlpatterns = [*licences.urlpatterns, *fair_housing.urlpatterns]
