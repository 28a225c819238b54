from compliance.views import fair_housing

app_name = "compliance"

urlpatterns = [*fair_housing.urlpatterns]
