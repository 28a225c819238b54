"""The one API router: every app registers its viewsets here."""

from django.urls import path
from rest_framework.routers import DefaultRouter
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView, TokenVerifyView

from agents.api import events, notifications, webhooks
from agents.api.views import AgentViewSet, MeView
from clients.api import intake, outreach, people, searches, showings
from compliance.api import fair_housing, licences, privacy
from mls.api.views import MLSProviderViewSet, SyncRunViewSet
from properties.api import cma, market, materials
from properties.api.views import PropertyViewSet
from transactions.api import commissions, deals, documents


class JSONRouter(DefaultRouter):
    """The router without ".json" suffix routes: the API speaks JSON only, and the viewsets'
    extra actions take no ``format`` argument (a suffixed address was a 500)."""

    include_format_suffixes = False


router = JSONRouter()
router.register("properties", PropertyViewSet, basename="property")
router.register("agents", AgentViewSet, basename="agent")
router.register("mls/providers", MLSProviderViewSet, basename="mls-provider")
router.register("mls/runs", SyncRunViewSet, basename="mls-run")
AREAS = (
    people,
    intake,
    searches,
    showings,
    outreach,
    deals,
    documents,
    commissions,
    licences,
    fair_housing,
    privacy,
    cma,
    market,
    webhooks,
    materials,
    notifications,
    events,
)
for area in AREAS:
    area.register(router)

urlpatterns = [
    path("auth/token/", TokenObtainPairView.as_view(), name="token-obtain"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="token-refresh"),
    path("auth/token/verify/", TokenVerifyView.as_view(), name="token-verify"),
    path("me/", MeView.as_view(), name="me"),
    *(pattern for area in AREAS for pattern in area.urlpatterns),
    *router.urls,
]
