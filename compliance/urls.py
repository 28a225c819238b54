from compliance.views import licences

app_name = "compliance"

urlpatterns = [*licences.urlpatterns]
