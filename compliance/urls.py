from compliance.views import privacy

app_name = "compliance"

urlpatterns = [*privacy.urlpatterns]
