import re

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from clients.views import outreach as outreach_views

handler404 = "realestate.views.page_not_found"

admin.site.site_header = "Brokerage back office"
admin.site.site_title = "Brokerage back office"
admin.site.index_title = "Run the brokerage"

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("agents.urls")),
    path("listings/", include("properties.urls")),
    path("clients/", include("clients.urls")),
    path("deals/", include("transactions.urls")),
    path("mls/", include("mls.urls")),
    path("compliance/", include("compliance.urls")),
    path("mls/demo/", include("mls.demo.urls")),
    path("admin/", admin.site.urls),
    path("", include(outreach_views.hook_urlpatterns)),
    path("api/v1/", include("realestate.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: the CSP allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

if settings.SERVE_MEDIA and not settings.AWS_STORAGE_BUCKET_NAME:
    # Uploads are stored under generated names with their real image extension.
    urlpatterns += [
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]
