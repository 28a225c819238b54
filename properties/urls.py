from django.urls import path

from properties import cma_views, market_views, materials_views, views

app_name = "properties"
urlpatterns = [
    path("", views.PropertyListView.as_view(), name="list"),
    path("new/", views.PropertyCreateView.as_view(), name="create"),
    path("export.csv", views.PropertyExportView.as_view(), name="export-csv"),
    path("cma/", cma_views.CMAListView.as_view(), name="cma-list"),
    path("cma/new/", cma_views.CMARunView.as_view(), name="cma-run"),
    path("cma/save/", cma_views.CMASaveView.as_view(), name="cma-save"),
    path("cma/<int:pk>/", cma_views.CMADetailView.as_view(), name="cma-detail"),
    path("cma/<int:pk>/pdf/", cma_views.CMAPdfView.as_view(), name="cma-pdf"),
    path("market/", market_views.MarketView.as_view(), name="market"),
    path("market/export.csv", market_views.MarketExportView.as_view(), name="market-csv"),
    path("<int:pk>/", views.PropertyDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.PropertyUpdateView.as_view(), name="edit"),
    path("<int:pk>/archive/", views.PropertyArchiveView.as_view(), name="archive"),
    path("<int:pk>/restore/", views.PropertyRestoreView.as_view(), name="restore"),
    path("<int:pk>/photos/", views.PropertyPhotosView.as_view(), name="photos"),
    path(
        "<int:pk>/photos/<int:media_pk>/delete/",
        views.PhotoDeleteView.as_view(),
        name="photo-delete",
    ),
]

urlpatterns += [
    path("<int:pk>/materials/", materials_views.MaterialsView.as_view(), name="materials"),
    path(
        "<int:pk>/materials/flyer.pdf",
        materials_views.FlyerView.as_view(),
        name="materials-flyer",
    ),
    path(
        "<int:pk>/materials/sign-in-sheet.pdf",
        materials_views.SignInSheetView.as_view(),
        name="materials-sign-in-sheet",
    ),
    path(
        "<int:pk>/materials/social.png",
        materials_views.SocialImageView.as_view(),
        name="materials-social",
    ),
]
