from django.urls import path

from mls import views

app_name = "mls"
urlpatterns = [
    path("", views.ProviderListView.as_view(), name="providers"),
    path("<int:pk>/card/", views.ProviderCardView.as_view(), name="provider-card"),
    path("<int:pk>/sync/", views.ProviderSyncView.as_view(), name="provider-sync"),
    path("<int:pk>/sync/full/", views.ProviderFullSyncView.as_view(), name="provider-sync-full"),
    path("<int:pk>/cancel/", views.ProviderCancelView.as_view(), name="provider-cancel"),
    path("<int:pk>/enable/", views.ProviderEnableView.as_view(), name="provider-enable"),
    path("<int:pk>/disable/", views.ProviderDisableView.as_view(), name="provider-disable"),
    path("<int:pk>/interval/", views.ProviderIntervalView.as_view(), name="provider-interval"),
]
