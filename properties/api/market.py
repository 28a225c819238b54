"""API of market statistics: an area's monthly figures and trends."""

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from properties.forms import MarketForm
from properties.market import AreaKind, market_stats

MARKET_PARAMETERS = [
    OpenApiParameter("area", str, enum=[kind for kind, _ in AreaKind.choices], required=True),
    OpenApiParameter("city", str, description="With area=city (case-insensitive)."),
    OpenApiParameter("postal_code", str, description="With area=postal_code."),
    OpenApiParameter("listing", int, description="With area=radius: centre on this listing."),
    OpenApiParameter("latitude", OpenApiTypes.DECIMAL, description="With area=radius."),
    OpenApiParameter("longitude", OpenApiTypes.DECIMAL, description="With area=radius."),
    OpenApiParameter("radius", OpenApiTypes.DECIMAL, description="Miles, with area=radius."),
    OpenApiParameter("property_type", str, description="RESO PropertyType; all when empty."),
    OpenApiParameter("months", int, description="Completed months, 2 to 36 (default 12)."),
]


class MarketStatsView(APIView):
    """An area's market statistics over the listings the caller may see."""

    @extend_schema(
        summary="Market statistics of an area",
        description=(
            "Per completed month: closed sales, median sale price, median list price of the "
            "month's new listings, median price per sq ft and days on market of the sales, "
            "sale-to-list ratio, new listings, listings on the market at month end and months "
            "of inventory (on the market at month end ÷ the average monthly sales of that "
            "month and the two before). Each figure has a trend: the last three months "
            "against the three before, increasing / decreasing / stable with its evidence. "
            "Only the brokerage's own listings and its MLS feeds' count."
        ),
        parameters=MARKET_PARAMETERS,
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        form = MarketForm(request.query_params, user=request.user)
        if not form.is_valid():
            raise serializers.ValidationError(
                {
                    ("non_field_errors" if name == "__all__" else name): list(errors)
                    for name, errors in form.errors.items()
                }
            )
        data = form.cleaned_data
        stats = market_stats(
            user=request.user,
            area=data["market_area"],
            property_type=data.get("property_type") or "",
            months=data["months"],
        )
        return Response(stats.as_dict())


urlpatterns = [path("market/stats/", MarketStatsView.as_view(), name="market-stats")]


def register(router):
    """This area has no viewsets: its one endpoint is in ``urlpatterns``."""
