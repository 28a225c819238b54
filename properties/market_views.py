"""The market statistics page of an area, with its charts, and the monthly table as CSV."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponseBadRequest
from django.utils import timezone
from django.utils.text import slugify
from django.views.generic import TemplateView, View

from clients.api.intake import csv_response
from properties.forms import MarketForm
from properties.market import (
    INVENTORY_DEFINITION,
    format_metric,
    market_stats,
    market_stats_csv,
    month_label,
)
from realestate.charts import bar_chart, line_chart


def _stats(form, user):
    data = form.cleaned_data
    return market_stats(
        user=user,
        area=data["market_area"],
        property_type=data.get("property_type") or "",
        months=data["months"],
    )


def _short_label(month):
    return month_label(month).replace(" 20", " ’")


def _money(value):
    return format_metric("money", value)


class MarketView(LoginRequiredMixin, TemplateView):
    """The form and, once an area is given, its monthly figures, trends and charts."""

    template_name = "properties/market.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET
        form = MarketForm(query or None, user=self.request.user)
        context.update(form=form, stats=None)
        if query and form.is_valid():
            stats = _stats(form, self.request.user)
            labels = [_short_label(m.month) for m in stats.months]
            context.update(
                stats=stats,
                inventory_definition=INVENTORY_DEFINITION,
                query=query.urlencode(),
                price_chart=line_chart(
                    [
                        {
                            "name": "Median sale price",
                            "values": [m.median_close_price for m in stats.months],
                        },
                        {
                            "name": "Median list price (new listings)",
                            "values": [m.median_list_price for m in stats.months],
                        },
                    ],
                    labels,
                    format_value=_money,
                ),
                volume_chart=bar_chart(
                    [
                        {"name": "Closed sales", "values": [m.closed_sales for m in stats.months]},
                        {"name": "New listings", "values": [m.new_listings for m in stats.months]},
                    ],
                    labels,
                    format_value=lambda value: format_metric("count", value),
                ),
            )
        return context


class MarketExportView(LoginRequiredMixin, View):
    """The monthly table of the page's area as a CSV file."""

    def get(self, request):
        form = MarketForm(request.GET, user=request.user)
        if not form.is_valid():
            return HttpResponseBadRequest("Give an area: " + form.errors.as_text())
        stats = _stats(form, request.user)
        name = slugify(stats.area.label) or "area"
        filename = f"market-{name}-{timezone.localdate():%Y-%m-%d}.csv"
        return csv_response(market_stats_csv(stats=stats), filename)
