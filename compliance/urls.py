from compliance.views import audit, fair_housing, licences, overview, privacy

app_name = "compliance"

urlpatterns = [
    *overview.urlpatterns,
    *licences.urlpatterns,
    *fair_housing.urlpatterns,
    *privacy.urlpatterns,
    *audit.urlpatterns,
]
