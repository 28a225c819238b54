app_name = "properties"
urlpatterns = []
