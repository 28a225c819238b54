from compliance.views import fair_housing, licences, overview, privacy

app_name = "compliance"

urlpatterns = [
    *overview.urlpatterns,
    *licences.urlpatterns,
    *fair_housing.urlpatterns,
    *privacy.urlpatterns,
]
