from compliance.views import fair_housing, licences, privacy

app_name = "compliance"

urlpatterns = [*licences.urlpatterns, *fair_housing.urlpatterns, *privacy.urlpatterns]
