"""The demo MLS, included at /mls/demo/: a RESO Web API service and a RETS server per feed."""

from django.urls import path, re_path

from mls.demo import rets, views

app_name = "mls_demo"

urlpatterns = [
    path("<slug:feed>/odata/", views.service_document, name="service"),
    path("<slug:feed>/odata/$metadata", views.metadata, name="metadata"),
    path("<slug:feed>/odata/Property", views.property_list, name="property-list"),
    re_path(
        r"^(?P<feed>[-a-zA-Z0-9_]+)/odata/Property\('(?P<listing_key>[^'/]+)'\)$",
        views.property_detail,
        name="property-detail",
    ),
    path("<slug:feed>/photos/<str:listing_key>/<int:number>.jpg", views.photo, name="photo"),
    path("<slug:feed>/token", views.token, name="token"),
    path("<slug:feed>/rets/login", rets.login, name="rets-login"),
    path("<slug:feed>/rets/search", rets.search, name="rets-search"),
    path("<slug:feed>/rets/getobject", rets.get_object, name="rets-getobject"),
    path("<slug:feed>/rets/logout", rets.logout, name="rets-logout"),
]
