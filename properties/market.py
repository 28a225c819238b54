"""Market statistics of an area (a city, a postal code or a circle) and a property type.

Per month over a window of completed months: the median sale price, the median list price
of the month's new listings, the median price per square foot and days on market of the
sales, the sale-to-list ratio (median close ÷ list price), new listings, closed sales, the
listings on the market at month end and the months of inventory — and per figure a trend:
the last three months against the three before, with the numbers that show it.

Only the listings a person may see count (``restrict``): their brokerage's own listings and
its MLS feeds', one listing per home, archived ones left out. On PostgreSQL the medians are
computed in the database (``percentile_cont``) in three grouped queries; on other databases
the same figures are computed in Python over the fetched rows (``market_stats_in_python``,
also the benchmark's baseline).
"""

import csv
import math
import statistics
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from clients.imports import _Line, _safe_cell
from properties.choices import ON_MARKET_STATUSES, StandardStatus
from properties.models import Property
from properties.valuation import MILES_PER_DEGREE, bounding_box
from realestate.permissions import restrict

DEFAULT_MONTHS = 12
MAX_MONTHS = 36
MIN_MONTHS = 2
MAX_RADIUS_MILES = 50
# Months of inventory: listings on the market at month end ÷ the average monthly sales of
# that month and the two before (the usual definition; one month's sales alone is too noisy).
INVENTORY_SALES_MONTHS = 3
TREND_MONTHS = 3
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

WHOLE = Decimal("1")
CENTS = Decimal("0.01")
RATIO_PLACES = Decimal("0.0001")
TENTHS = Decimal("0.1")


class AreaKind:
    CITY = "city"
    POSTAL_CODE = "postal_code"
    RADIUS = "radius"
    choices = [(CITY, "City"), (POSTAL_CODE, "Postal code"), (RADIUS, "Radius around a point")]


@dataclass(frozen=True)
class MarketArea:
    """Where the statistics are taken: a city, a postal code or a circle (miles)."""

    kind: str
    city: str = ""
    postal_code: str = ""
    latitude: float | None = None
    longitude: float | None = None
    radius_miles: float | None = None
    label: str = ""


def market_area(
    *,
    user,
    kind,
    city="",
    postal_code="",
    latitude=None,
    longitude=None,
    listing=None,
    radius_miles=None,
):
    """The area described by a form or a query; ``listing`` (an id) centres a circle on it."""
    if kind == AreaKind.CITY:
        city = (city or "").strip()
        if not city:
            raise ValidationError({"city": "Name the city."})
        return MarketArea(kind=kind, city=city, label=city)
    if kind == AreaKind.POSTAL_CODE:
        postal_code = (postal_code or "").strip()
        if not postal_code:
            raise ValidationError({"postal_code": "Give the postal code."})
        return MarketArea(kind=kind, postal_code=postal_code, label=postal_code)
    if kind != AreaKind.RADIUS:
        raise ValidationError({"area": "Choose city, postal_code or radius."})
    if radius_miles is None or not 0 < float(radius_miles) <= MAX_RADIUS_MILES:
        raise ValidationError({"radius": f"A radius above 0 and up to {MAX_RADIUS_MILES} miles."})
    radius = float(radius_miles)
    if listing is not None:
        centre = (
            restrict(Property.objects.all(), user)
            .filter(pk=listing, latitude__isnull=False, longitude__isnull=False)
            .values_list("latitude", "longitude", "street_number", "street_name")
            .first()
        )
        if centre is None:
            raise ValidationError({"listing": "No listing of your brokerage with a location."})
        lat, lon, number, street = centre
        label = f"{radius:g} mi around {' '.join(p for p in (number, street) if p)}"
        return MarketArea(
            kind=kind, latitude=float(lat), longitude=float(lon), radius_miles=radius, label=label
        )
    if latitude is None or longitude is None:
        raise ValidationError({"latitude": "Give a latitude and longitude, or a listing."})
    lat, lon = float(latitude), float(longitude)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationError({"latitude": "Not a place on Earth."})
    label = f"{radius:g} mi around {lat:.4f}, {lon:.4f}"
    return MarketArea(kind=kind, latitude=lat, longitude=lon, radius_miles=radius, label=label)


def market_listings(*, user, area, property_type=""):
    """The listings ``user`` may see in ``area`` (one per home, none archived), of a type."""
    queryset = restrict(Property.objects.all(), user).filter(
        home_duplicate=False, archived_at__isnull=True
    )
    if property_type:
        queryset = queryset.filter(property_type=property_type)
    if area.kind == AreaKind.CITY:
        return queryset.filter(city__iexact=area.city)
    if area.kind == AreaKind.POSTAL_CODE:
        return queryset.filter(postal_code=area.postal_code)
    min_lat, max_lat, min_lon, max_lon = bounding_box(
        area.latitude, area.longitude, area.radius_miles
    )
    # Inside the box (indexable), then inside the circle: on a flat map at the centre's
    # latitude, which is what the box assumes too (within 0.1 % of the great circle at a
    # neighbourhood's size).
    east_west = MILES_PER_DEGREE * _cos_degrees(area.latitude)
    north = (F("latitude") - _decimal(area.latitude)) * _decimal(MILES_PER_DEGREE)
    east = (F("longitude") - _decimal(area.longitude)) * _decimal(east_west)
    return (
        queryset.filter(
            latitude__range=(_decimal(min_lat), _decimal(max_lat)),
            longitude__range=(_decimal(min_lon), _decimal(max_lon)),
        )
        .alias(
            squared_miles=ExpressionWrapper(
                north * north + east * east, output_field=DecimalField()
            )
        )
        .filter(squared_miles__lte=_decimal(area.radius_miles**2))
    )


def _cos_degrees(degrees):
    return math.cos(math.radians(degrees))


def _decimal(value):
    return Decimal(str(round(value, 9)))


# ---------------------------------------------------------------------------------------------
# Months


def month_start(day):
    return day.replace(day=1)


def add_months(first_of_month, months):
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def window_months(as_of, months):
    """The ``months`` completed months before ``as_of``'s month, oldest first."""
    last = add_months(month_start(as_of), -1)
    return [add_months(last, offset) for offset in range(-months + 1, 1)]


def month_label(first_of_month):
    return f"{MONTH_NAMES[first_of_month.month - 1]} {first_of_month.year}"


def span_label(months):
    first, last = months[0], months[-1]
    if first == last:
        return month_label(first)
    if first.year == last.year:
        return f"{MONTH_NAMES[first.month - 1]}–{MONTH_NAMES[last.month - 1]} {last.year}"
    return f"{month_label(first)}–{month_label(last)}"


# ---------------------------------------------------------------------------------------------
# Results


@dataclass
class MonthStats:
    """One month of an area's market."""

    month: date
    closed_sales: int = 0
    new_listings: int = 0
    median_close_price: Decimal | None = None
    median_list_price: Decimal | None = None
    median_price_per_sqft: Decimal | None = None
    median_days_on_market: Decimal | None = None
    sale_to_list_ratio: Decimal | None = None
    active_listings: int = 0
    months_of_inventory: Decimal | None = None

    @property
    def label(self):
        return month_label(self.month)

    @property
    def sale_to_list_percent(self):
        return format_metric("ratio", self.sale_to_list_ratio)


@dataclass
class Trend:
    """Whether a figure rose, fell or held over the last months, and the numbers showing it."""

    metric: str
    label: str
    kind: str
    direction: str  # increasing, decreasing, stable or unknown
    earlier: Decimal | None
    recent: Decimal | None
    change: Decimal | None  # relative (0.042 is 4.2 %), or points for the ratio
    evidence: str

    @property
    def recent_text(self):
        return format_metric(self.kind, self.recent)


@dataclass
class MarketStats:
    """An area's monthly market figures over a window, with a trend per figure."""

    area: MarketArea
    property_type: str
    as_of: date
    months: list = field(default_factory=list)
    trends: list = field(default_factory=list)

    @property
    def has_data(self):
        return any(m.closed_sales or m.new_listings or m.active_listings for m in self.months)

    def as_dict(self):
        """JSON-ready: money and ratios as strings, dates as ISO."""
        return _jsonable(
            {
                "area": asdict(self.area),
                "property_type": self.property_type,
                "as_of": self.as_of,
                "inventory_definition": INVENTORY_DEFINITION,
                "months": [asdict(m) for m in self.months],
                "trends": [asdict(t) for t in self.trends],
            }
        )


INVENTORY_DEFINITION = (
    "Months of inventory: listings on the market at month end ÷ the average monthly closed "
    f"sales of that month and the {INVENTORY_SALES_MONTHS - 1} before. On the market at month "
    "end: on the market by then and not closed by then (closed later, or still Active, "
    "Active Under Contract, Coming Soon or Pending); withdrawn, expired and canceled listings "
    "are left out because the day they left the market is not recorded."
)


def _jsonable(value):
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


# ---------------------------------------------------------------------------------------------
# The statistics


def market_stats(*, user, area, property_type="", months=DEFAULT_MONTHS, as_of=None):
    """The monthly market figures and trends of ``area`` over the listings ``user`` may see."""
    _check_months(months)
    as_of = as_of or timezone.localdate()
    window = window_months(as_of, months)
    listings = market_listings(user=user, area=area, property_type=property_type)
    if connection.vendor == "postgresql":
        rows = _monthly_in_database(listings, window)
    else:
        rows = _monthly_in_python(listings, window)
    return _stats(area, property_type, as_of, window, rows)


def market_stats_in_python(*, user, area, property_type="", months=DEFAULT_MONTHS, as_of=None):
    """The same as :func:`market_stats`, computed in Python over the fetched rows."""
    _check_months(months)
    as_of = as_of or timezone.localdate()
    window = window_months(as_of, months)
    listings = market_listings(user=user, area=area, property_type=property_type)
    return _stats(area, property_type, as_of, window, _monthly_in_python(listings, window))


def _check_months(months):
    if not MIN_MONTHS <= months <= MAX_MONTHS:
        raise ValidationError({"months": f"From {MIN_MONTHS} to {MAX_MONTHS} months."})


class Median(Aggregate):
    """PostgreSQL's continuous median of an expression (as double precision)."""

    function = "percentile_cont"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY (%(expressions)s)::double precision)"
    output_field = FloatField()


class DaysBetween(Func):
    """Whole days from the second date to the first, never below zero (PostgreSQL)."""

    arg_joiner = " - "
    template = "GREATEST(%(expressions)s, 0)"
    output_field = IntegerField()


class MonthOf(Func):
    """The first day of a date's month (PostgreSQL): truncated as a plain timestamp, which
    spares the time-zone conversion that Django's ``TruncMonth`` asks of every row."""

    template = "DATE_TRUNC('month', (%(expressions)s)::timestamp)::date"
    output_field = DateField()


def _on_market_from():
    return Coalesce("on_market_date", "listing_contract_date")


def _fetch_start(window):
    return add_months(window[0], -(INVENTORY_SALES_MONTHS - 1))


def _month_ends(window):
    return [add_months(month, 1) - timedelta(days=1) for month in window]


def _monthly_in_database(listings, window):
    """Per month: sales, new listings and on-market counts, in three grouped queries."""
    end = add_months(window[-1], 1)
    sales = (
        listings.filter(
            standard_status=StandardStatus.CLOSED,
            close_price__gt=0,
            close_date__gte=_fetch_start(window),
            close_date__lt=end,
        )
        .annotate(month=MonthOf("close_date"))
        .values("month")
        .annotate(
            closed_sales=Count("*"),
            median_close_price=Median("close_price"),
            median_price_per_sqft=Median(
                ExpressionWrapper(F("close_price") / F("living_area"), output_field=DecimalField()),
                filter=Q(living_area__gt=0),
            ),
            median_days_on_market=Median(
                Coalesce(
                    "days_on_market",
                    DaysBetween("close_date", _on_market_from()),
                    output_field=IntegerField(),
                ),
                filter=Q(days_on_market__isnull=False)
                | Q(on_market_date__isnull=False)
                | Q(listing_contract_date__isnull=False),
            ),
            sale_to_list_ratio=Median(
                ExpressionWrapper(F("close_price") / F("list_price"), output_field=DecimalField()),
                filter=Q(list_price__gt=0),
            ),
        )
        .order_by()
    )
    new = (
        listings.alias(on_market_from=_on_market_from())
        .filter(on_market_from__gte=window[0], on_market_from__lt=end)
        .annotate(month=MonthOf("on_market_from"))
        .values("month")
        .annotate(
            new_listings=Count("*"),
            median_list_price=Median(Coalesce("original_list_price", "list_price")),
        )
        .order_by()
    )
    on_market = _on_market_counts(listings, window)
    rows = {month: {} for month in _all_months(window)}
    for row in sales:
        rows[_first_of(row.pop("month"))].update(row)
    for row in new:
        rows[_first_of(row.pop("month"))].update(row)
    for month, count in zip(window, on_market, strict=True):
        rows[month]["active_listings"] = count
    return {month: _rounded(values) for month, values in rows.items()}


def _on_market_counts(listings, window):
    """The listings on the market at each month's end, from one query: the listings still on
    the market and those that sold after the window began, each counted by the months they
    came on and went off the market (a few hundred rows at most). The two halves are a
    UNION so that each reads its own index: the sales by close date, the town's listings."""
    ends = _month_ends(window)
    started = listings.alias(on_market_from=_on_market_from()).filter(on_market_from__lte=ends[-1])
    still_on_market = (
        started.filter(standard_status__in=ON_MARKET_STATUSES)
        .annotate(came=MonthOf("on_market_from"), went=Value(None, output_field=DateField()))
        .values_list("came", "went")
        .annotate(listings=Count("*"))
        .order_by()
    )
    sold_since = (
        started.filter(standard_status=StandardStatus.CLOSED, close_date__gt=window[0])
        .annotate(came=MonthOf("on_market_from"), went=MonthOf("close_date"))
        .values_list("came", "went")
        .annotate(listings=Count("*"))
        .order_by()
    )
    groups = [
        (_first_of(came), went and _first_of(went), count)
        for came, went, count in still_on_market.union(sold_since, all=True)
    ]
    return [
        sum(
            count
            for came, went, count in groups
            if came <= month and (went is None or went > month)
        )
        for month in window
    ]


def _first_of(value):
    return value.date().replace(day=1) if hasattr(value, "date") else value.replace(day=1)


def _all_months(window):
    first = _fetch_start(window)
    return [add_months(first, offset) for offset in range(len(window) + INVENTORY_SALES_MONTHS - 1)]


def _quantize(value, places):
    if value is None:
        return None
    return Decimal(str(value)).quantize(places, rounding=ROUND_HALF_UP)


def _rounded(values):
    return {
        "closed_sales": values.get("closed_sales", 0),
        "new_listings": values.get("new_listings", 0),
        "active_listings": values.get("active_listings", 0),
        "median_close_price": _quantize(values.get("median_close_price"), WHOLE),
        "median_list_price": _quantize(values.get("median_list_price"), WHOLE),
        "median_price_per_sqft": _quantize(values.get("median_price_per_sqft"), CENTS),
        "median_days_on_market": _quantize(values.get("median_days_on_market"), TENTHS),
        "sale_to_list_ratio": _quantize(values.get("sale_to_list_ratio"), RATIO_PLACES),
    }


PYTHON_COLUMNS = (
    "standard_status",
    "list_price",
    "original_list_price",
    "close_price",
    "close_date",
    "on_market_date",
    "listing_contract_date",
    "days_on_market",
    "living_area",
)


def _median(values):
    return statistics.median(values) if values else None


def _monthly_in_python(listings, window):
    """The figures of :func:`_monthly_in_database`, from the rows fetched in one query."""
    end = add_months(window[-1], 1)
    ends = _month_ends(window)
    fetch_start = _fetch_start(window)
    rows = listings.filter(
        Q(close_date__gte=fetch_start, close_date__lt=end, standard_status=StandardStatus.CLOSED)
        | Q(on_market_date__lte=ends[-1])
        | Q(listing_contract_date__lte=ends[-1])
    ).values_list(*PYTHON_COLUMNS)
    sales = {month: [] for month in _all_months(window)}
    new = {month: [] for month in window}
    on_market = []
    for status, list_price, original, close_price, closed, on_date, contract, dom, area in rows:
        started = on_date or contract
        if (
            status == StandardStatus.CLOSED
            and close_price
            and close_price > 0
            and closed
            and fetch_start <= closed < end
        ):
            sales[closed.replace(day=1)].append(
                (close_price, list_price, closed, started, dom, area)
            )
        if started and window[0] <= started < end:
            new[started.replace(day=1)].append(original if original is not None else list_price)
        if started and started <= ends[-1]:
            if status in ON_MARKET_STATUSES:
                on_market.append((started, None))
            elif status == StandardStatus.CLOSED and closed and closed > window[0]:
                on_market.append((started, closed))
    result = {}
    for month, month_sales in sales.items():
        values = {"closed_sales": len(month_sales)}
        if month_sales:
            days = [
                dom if dom is not None else max((closed - started).days, 0)
                for _, _, closed, started, dom, _ in month_sales
                if dom is not None or started is not None
            ]
            values.update(
                median_close_price=_median([price for price, *_ in month_sales]),
                median_price_per_sqft=_median(
                    [price / area for price, _, _, _, _, area in month_sales if area]
                ),
                median_days_on_market=_median(days),
                sale_to_list_ratio=_median(
                    [price / listed for price, listed, *_ in month_sales if listed and listed > 0]
                ),
            )
        if month in new:
            values["new_listings"] = len(new[month])
            values["median_list_price"] = _median(new[month])
        result[month] = values
    for month, day in zip(window, ends, strict=True):
        result[month]["active_listings"] = sum(
            1
            for started, closed in on_market
            if started <= day and (closed is None or closed > day)
        )
    return {month: _rounded(values) for month, values in result.items()}


def _stats(area, property_type, as_of, window, rows):
    months = []
    for month in window:
        figures = rows[month]
        recent = [
            rows[add_months(month, -back)]["closed_sales"] for back in range(INVENTORY_SALES_MONTHS)
        ]
        average_sales = Decimal(sum(recent)) / INVENTORY_SALES_MONTHS
        inventory = (
            (Decimal(figures["active_listings"]) / average_sales).quantize(TENTHS, ROUND_HALF_UP)
            if average_sales
            else None
        )
        months.append(MonthStats(month=month, months_of_inventory=inventory, **figures))
    return MarketStats(
        area=area,
        property_type=property_type,
        as_of=as_of,
        months=months,
        trends=market_trends(months),
    )


# ---------------------------------------------------------------------------------------------
# Trends


@dataclass(frozen=True)
class Metric:
    """A monthly figure: its name, how it is shown and how big a change counts as a move."""

    name: str
    label: str
    kind: str  # money, count, days, ratio, months
    threshold: Decimal  # relative change (points for a ratio) within which it is stable


METRICS = (
    Metric("median_close_price", "Median sale price", "money", Decimal("0.02")),
    Metric("median_list_price", "Median list price", "money", Decimal("0.02")),
    Metric("median_price_per_sqft", "Median price per sq ft", "money", Decimal("0.02")),
    Metric("median_days_on_market", "Median days on market", "days", Decimal("0.10")),
    Metric("sale_to_list_ratio", "Sale-to-list ratio", "ratio", Decimal("0.005")),
    Metric("months_of_inventory", "Months of inventory", "months", Decimal("0.10")),
    Metric("new_listings", "New listings per month", "count", Decimal("0.10")),
    Metric("closed_sales", "Closed sales per month", "count", Decimal("0.10")),
)


def format_metric(kind, value):
    """A figure as the pages and the trend's evidence show it."""
    if value is None:
        return "—"
    value = Decimal(str(value))
    if kind == "money":
        if value >= 1000:
            return f"${value / 1000:,.0f}k" if value >= 10000 else f"${value:,.0f}"
        return f"${value:,.2f}" if value != value.to_integral_value() else f"${value:,.0f}"
    if kind == "ratio":
        return f"{value * 100:.1f}%"
    if kind == "days":
        return f"{value:.0f} days"
    if kind == "months":
        return f"{value:.1f} months"
    return f"{value:.1f}".removesuffix(".0")


def _mean(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return sum((Decimal(v) for v in values), Decimal(0)) / len(values)


def market_trends(months, metrics=METRICS):
    """Per figure, the average of the last three months against the three before.

    A figure moves (increasing/decreasing) when its change passes the metric's threshold:
    2 % for prices, 10 % for counts, days and inventory, half a point for the ratio.
    A window shorter than six months compares its two halves.
    """
    size = min(TREND_MONTHS, len(months) // 2)
    if size == 0:
        return []
    earlier_months, recent_months = months[-2 * size : -size], months[-size:]
    trends = []
    for metric in metrics:
        earlier = _mean(getattr(m, metric.name) for m in earlier_months)
        recent = _mean(getattr(m, metric.name) for m in recent_months)
        earlier_span = span_label([m.month for m in earlier_months])
        recent_span = span_label([m.month for m in recent_months])
        if earlier is None or recent is None:
            trends.append(
                Trend(
                    metric=metric.name,
                    label=metric.label,
                    kind=metric.kind,
                    direction="unknown",
                    earlier=earlier,
                    recent=recent,
                    change=None,
                    evidence=f"{metric.label}: not enough data in {earlier_span} or {recent_span}.",
                )
            )
            continue
        if metric.kind == "ratio":
            change = recent - earlier
        elif earlier:
            change = (recent - earlier) / earlier
        else:
            change = Decimal(1) if recent else Decimal(0)
        if change > metric.threshold:
            direction, verb = "increasing", "up"
        elif change < -metric.threshold:
            direction, verb = "decreasing", "down"
        else:
            direction, verb = "stable", "stable"
        unit = " points" if metric.kind == "ratio" else "%"
        amount = f"{abs(change) * 100:.1f}{unit}"
        before = f"{format_metric(metric.kind, earlier)} ({earlier_span})"
        after = f"{format_metric(metric.kind, recent)} ({recent_span})"
        if verb == "stable":
            sign = "+" if change >= 0 else "−"
            evidence = f"{metric.label} stable ({sign}{amount}): {before}, then {after}."
        else:
            evidence = f"{metric.label} {verb} {amount} from {before} to {after}."
        trends.append(
            Trend(
                metric=metric.name,
                label=metric.label,
                kind=metric.kind,
                direction=direction,
                earlier=earlier.quantize(RATIO_PLACES, ROUND_HALF_UP),
                recent=recent.quantize(RATIO_PLACES, ROUND_HALF_UP),
                change=change.quantize(RATIO_PLACES, ROUND_HALF_UP),
                evidence=evidence,
            )
        )
    return trends


# ---------------------------------------------------------------------------------------------
# Export

CSV_COLUMNS = (
    ("Month", lambda m: m.month.strftime("%Y-%m")),
    ("Closed sales", lambda m: m.closed_sales),
    ("Median sale price", lambda m: m.median_close_price),
    ("Median list price (new listings)", lambda m: m.median_list_price),
    ("Median price per sq ft", lambda m: m.median_price_per_sqft),
    ("Median days on market", lambda m: m.median_days_on_market),
    ("Sale-to-list ratio", lambda m: m.sale_to_list_ratio),
    ("New listings", lambda m: m.new_listings),
    ("On the market at month end", lambda m: m.active_listings),
    ("Months of inventory", lambda m: m.months_of_inventory),
)


def market_stats_csv(*, stats):
    """The CSV lines of the monthly table (header first)."""
    writer = csv.writer(_Line())
    yield writer.writerow([title for title, _ in CSV_COLUMNS])
    for month in stats.months:
        yield writer.writerow(
            [_safe_cell("" if (v := value(month)) is None else v) for _, value in CSV_COLUMNS]
        )
