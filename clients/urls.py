from clients.views import intake, outreach, people, searches, showings

app_name = "clients"

urlpatterns = [
    *people.urlpatterns,
    *intake.urlpatterns,
    *searches.urlpatterns,
    *showings.urlpatterns,
    *outreach.urlpatterns,
]
