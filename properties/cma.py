"""Comparative market analyses: the subject, the comparable sales it is valued from, saving.

The valuation itself is :mod:`properties.valuation` (pure); this module reads the closed
sales a person may see, turns listings and RESO-named features into the engine's homes, and
saves a CMA with its client and listing.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from mls.providers.csv import decode, sniff_delimiter
from properties.choices import PropertyType, StandardStatus
from properties.models import CMA, Property
from properties.valuation import Home, Sale, bounding_box, valuate
from realestate.permissions import CHANGE, actor_for, can_add, restrict

# The subject's features as the API and the saved CMA name them (RESO Data Dictionary).
SUBJECT_FIELDS = {
    "Latitude": "latitude",
    "Longitude": "longitude",
    "PropertyType": "property_type",
    "LivingArea": "living_area",
    "BedroomsTotal": "bedrooms",
    "BathroomsTotalInteger": "bathrooms",
    "YearBuilt": "year_built",
    "LotSizeSquareFeet": "lot_size",
    "GarageSpaces": "garage_spaces",
    "PoolPrivateYN": "pool",
    "WaterfrontYN": "waterfront",
    "ViewYN": "view",
    "PropertyCondition": "condition",
}
NUMBER_FIELDS = (
    "LivingArea",
    "BedroomsTotal",
    "BathroomsTotalInteger",
    "YearBuilt",
    "LotSizeSquareFeet",
    "GarageSpaces",
)
FLAG_FIELDS = ("PoolPrivateYN", "WaterfrontYN", "ViewYN")
# RESO PropertyCondition values (and a 1–5 grade) on the engine's −2 … +2 scale.
CONDITION_SCORES = {
    "newconstruction": 2,
    "tobebuilt": 2,
    "updated/remodeled": 1,
    "updatedremodeled": 1,
    "underconstruction": 0,
    "fixer": -2,
}

MAX_FETCHED_SALES = 5000
SALE_COLUMNS = (
    "pk",
    "latitude",
    "longitude",
    "property_type",
    "living_area",
    "bedrooms_total",
    "bathrooms_total_integer",
    "year_built",
    "lot_size_square_feet",
    "garage_spaces",
    "pool_private_yn",
    "waterfront_yn",
    "view_yn",
    "view",
    "property_condition",
    "close_price",
    "close_date",
    "street_number",
    "street_name",
    "street_suffix",
    "unit_number",
    "city",
)


def condition_score(values):
    """The engine's condition score of RESO PropertyCondition values; ``None`` when unknown."""
    if isinstance(values, str):
        values = [values]
    scores = []
    for value in values or ():
        text = "".join(str(value).split()).lower()
        if text.isdigit() and 1 <= int(text) <= 5:
            scores.append(int(text) - 3)
        elif text in CONDITION_SCORES:
            scores.append(CONDITION_SCORES[text])
    return sum(scores) / len(scores) if scores else None


def _number(value):
    return None if value is None else float(value)


def home_of(listing):
    """The engine's view of a stored listing."""
    return Home(
        latitude=float(listing.latitude),
        longitude=float(listing.longitude),
        property_type=listing.property_type,
        living_area=_number(listing.living_area),
        bedrooms=_number(listing.bedrooms_total),
        bathrooms=_number(listing.bathrooms_total_integer),
        year_built=_number(listing.year_built),
        lot_size=_number(listing.lot_size_square_feet),
        garage_spaces=_number(listing.garage_spaces),
        pool=listing.pool_private_yn,
        waterfront=listing.waterfront_yn,
        view=listing.view_yn or bool(listing.view),
        condition=condition_score(listing.property_condition),
    )


def home_from_reso(features):
    """The engine's home from features under RESO names; a ``ValidationError`` names bad ones."""
    errors = {}
    values = {}
    for name in ("Latitude", "Longitude"):
        try:
            values[name] = float(features[name])
        except KeyError:
            errors[name] = "This field is required."
        except (TypeError, ValueError):
            errors[name] = "A number is required."
    if "Latitude" in values and not -90 <= values["Latitude"] <= 90:
        errors["Latitude"] = "Between -90 and 90."
    if "Longitude" in values and not -180 <= values["Longitude"] <= 180:
        errors["Longitude"] = "Between -180 and 180."
    for name in NUMBER_FIELDS:
        raw = features.get(name)
        if raw in (None, ""):
            continue
        try:
            number = float(raw)
        except (TypeError, ValueError):
            errors[name] = "A number is required."
            continue
        if number < 0:
            errors[name] = "Must not be negative."
        values[name] = number
    if not features.get("LivingArea"):
        errors.setdefault("LivingArea", "The living area is needed to compare homes.")
    for name in FLAG_FIELDS:
        raw = features.get(name)
        if raw not in (None, ""):
            values[name] = raw is True or str(raw).lower() in ("true", "1", "yes", "y")
    property_type = features.get("PropertyType") or PropertyType.RESIDENTIAL
    if property_type not in PropertyType.values:
        errors["PropertyType"] = f"Not a RESO PropertyType: {property_type}."
    if errors:
        raise ValidationError(errors)
    return Home(
        latitude=values["Latitude"],
        longitude=values["Longitude"],
        property_type=property_type,
        living_area=values.get("LivingArea"),
        bedrooms=values.get("BedroomsTotal"),
        bathrooms=values.get("BathroomsTotalInteger"),
        year_built=values.get("YearBuilt"),
        lot_size=values.get("LotSizeSquareFeet"),
        garage_spaces=values.get("GarageSpaces"),
        pool=values.get("PoolPrivateYN"),
        waterfront=values.get("WaterfrontYN"),
        view=values.get("ViewYN"),
        condition=condition_score(features.get("PropertyCondition")),
    )


def reso_of(home, condition=None):
    """A home's features under RESO names, as the API and the saved CMA show them."""
    features = {}
    for reso, name in SUBJECT_FIELDS.items():
        value = getattr(home, name)
        if reso == "PropertyCondition":
            value = condition
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if value is not None:
            features[reso] = value
    return features


def _sale_of(row):
    (
        pk,
        lat,
        lon,
        ptype,
        area,
        beds,
        baths,
        year,
        lot,
        garage,
        pool,
        water,
        view_yn,
        view,
        condition,
        price,
        closed,
        number,
        street,
        suffix,
        unit,
        city,
    ) = row
    label = " ".join(p for p in (number, street, suffix) if p)
    if unit:
        label = f"{label} #{unit}"
    return Sale(
        key=pk,
        home=Home(
            latitude=float(lat),
            longitude=float(lon),
            property_type=ptype,
            living_area=_number(area),
            bedrooms=_number(beds),
            bathrooms=_number(baths),
            year_built=_number(year),
            lot_size=_number(lot),
            garage_spaces=_number(garage),
            pool=pool,
            waterfront=water,
            view=view_yn or bool(view),
            condition=condition_score(condition),
        ),
        price=float(price),
        close_date=closed,
        label=f"{label}, {city}" if city else label,
    )


def closed_sales(*, user):
    """The closed sales ``user`` may see that can serve as comparables (one row per home)."""
    return restrict(Property.objects.all(), user).filter(
        standard_status=StandardStatus.CLOSED,
        home_duplicate=False,
        close_price__gt=0,
        close_date__isnull=False,
        latitude__isnull=False,
        longitude__isnull=False,
    )


def closed_sales_near(*, user, home, radius_miles, since, before, exclude_home_key=""):
    """The closed sales of ``home``'s type inside the box around its circle, in the window."""
    min_lat, max_lat, min_lon, max_lon = bounding_box(home.latitude, home.longitude, radius_miles)
    queryset = closed_sales(user=user).filter(
        property_type=home.property_type,
        latitude__range=(_coordinate(min_lat), _coordinate(max_lat)),
        longitude__range=(_coordinate(min_lon), _coordinate(max_lon)),
        close_date__gte=since,
        close_date__lt=before,
    )
    if exclude_home_key:
        queryset = queryset.exclude(home_key=exclude_home_key)
    # A wide step in a dense market: the most recent sales are plenty (and keep a CMA fast).
    rows = queryset.order_by("-close_date", "-pk").values_list(*SALE_COLUMNS)[:MAX_FETCHED_SALES]
    return [_sale_of(row) for row in rows]


def _coordinate(value):
    return Decimal(str(round(value, 6)))


@dataclass
class CMARun:
    """A valuation with the subject it was run for (a listing or typed-in features)."""

    valuation: object
    subject: dict
    listing: Property | None
    title: str
    excluded: list
    included: list


def cma_run(*, user, as_of=None, listing=None, features=None, exclude=(), include=()):
    """Value a subject (a listing ``user`` may see, or RESO ``features``) as of ``as_of``.

    Only closed sales before ``as_of`` are used; the subject (and its home's other listings)
    is never its own comparable. ``exclude``/``include`` are sale ids the agent took out or
    added.
    """
    as_of = as_of or timezone.localdate()
    condition = None
    if listing is not None:
        if listing.latitude is None or listing.longitude is None:
            raise ValidationError({"subject": "The listing has no latitude and longitude."})
        if not listing.living_area:
            raise ValidationError({"subject": "The listing has no living area."})
        home = home_of(listing)
        condition = listing.property_condition or None
        title = listing.address_line
        home_key = listing.home_key
    else:
        home = home_from_reso(features or {})
        condition = (features or {}).get("PropertyCondition")
        title = (features or {}).get("UnparsedAddress") or (
            f"{home.latitude:.5f}, {home.longitude:.5f}"
        )
        home_key = ""
    exclude = sorted({int(pk) for pk in exclude})
    include = sorted({int(pk) for pk in include} - set(exclude))
    added = []
    if include:
        rows = (
            closed_sales(user=user)
            .filter(pk__in=include, close_date__lt=as_of)
            .exclude(pk=listing.pk if listing else None)
            .values_list(*SALE_COLUMNS)
        )
        added = [_sale_of(row) for row in rows]
        if home_key:
            same_home = set(
                closed_sales(user=user)
                .filter(pk__in=include, home_key=home_key)
                .values_list("pk", flat=True)
            )
            added = [sale for sale in added if sale.key not in same_home]

    def fetch(radius, since):
        return closed_sales_near(
            user=user,
            home=home,
            radius_miles=radius,
            since=since,
            before=as_of,
            exclude_home_key=home_key,
        )

    valuation = valuate(
        subject=home,
        as_of=as_of,
        fetch=fetch,
        exclude=exclude,
        include=added,
        subject_key=listing.pk if listing else None,
    )
    return CMARun(
        valuation=valuation,
        subject=reso_of(home, condition),
        listing=listing,
        title=title,
        excluded=exclude,
        included=[sale.key for sale in added],
    )


def _text(value):
    return None if value is None else str(value)


def valuation_snapshot(valuation):
    """The valuation as JSON: money as decimal strings, every comparable and adjustment."""
    return {
        "as_of": valuation.as_of.isoformat(),
        "estimate": _text(valuation.estimate),
        "low": _text(valuation.low),
        "high": _text(valuation.high),
        "price_per_sqft": _text(valuation.price_per_sqft),
        "confidence": valuation.confidence,
        "confidence_label": valuation.confidence_label,
        "market_sales": valuation.market_sales,
        "notes": valuation.notes,
        "search_steps": [
            {
                "radius_miles": step.radius_miles,
                "months": step.months,
                "since": step.since.isoformat(),
                "sales": step.sales,
                "similar": step.similar,
            }
            for step in valuation.steps
        ],
        "rates": [
            {"feature": r.feature, "label": r.label, "coefficient": r.coefficient, "rate": r.words}
            for r in valuation.rates
        ],
        "comparables": [
            {
                "property": comp.sale.key,
                "address": comp.sale.label,
                "close_date": comp.sale.close_date.isoformat(),
                "close_price": str(comp.raw_price),
                "distance_miles": round(comp.distance_miles, 2),
                "months_ago": round(comp.months_ago, 1),
                "latitude": comp.sale.home.latitude,
                "longitude": comp.sale.home.longitude,
                "living_area": comp.sale.home.living_area,
                "bedrooms": comp.sale.home.bedrooms,
                "bathrooms": comp.sale.home.bathrooms,
                "year_built": comp.sale.home.year_built,
                "adjustments": [
                    {
                        "feature": a.feature,
                        "label": a.label,
                        "subject": a.subject_value,
                        "comparable": a.comp_value,
                        "rate": a.rate,
                        "amount": str(a.amount),
                    }
                    for a in comp.adjustments
                ],
                "net_adjustment": str(comp.net_adjustment),
                "adjusted_price": str(comp.adjusted_price),
                "similarity": round(comp.similarity, 4),
                "weight": str(comp.weight),
                "contribution": str(comp.contribution),
                "added_by_agent": comp.forced,
            }
            for comp in valuation.comparables
        ],
    }


def cma_save(*, run, user, client=None, listing=None, title=""):
    """Save a CMA run for ``user``'s brokerage, with the client and listing it is for."""
    actor = actor_for(user)
    if not can_add(user, CMA) or actor.brokerage_id is None:
        raise ValidationError("You cannot save CMAs.")
    if client is not None and not restrict(type(client).objects.filter(pk=client.pk), user, CHANGE):
        raise ValidationError({"client": "You cannot attach CMAs to this client."})
    listing = listing or run.listing
    if listing is not None and not restrict(Property.objects.filter(pk=listing.pk), user):
        raise ValidationError({"listing": "Unknown listing."})
    valuation = run.valuation
    cma = CMA(
        brokerage_id=actor.brokerage_id,
        title=(title or run.title)[:200],
        listing=listing,
        client=client,
        as_of=valuation.as_of,
        subject=run.subject,
        estimate=valuation.estimate,
        low=valuation.low,
        high=valuation.high,
        price_per_sqft=valuation.price_per_sqft,
        confidence=valuation.confidence,
        confidence_label=valuation.confidence_label,
        excluded=run.excluded,
        included=run.included,
        result=valuation_snapshot(valuation),
        created_by=user,
    )
    cma.full_clean()
    with transaction.atomic():
        cma.save()
    return cma


def recommended_price(estimate):
    """The list price to recommend: the estimate rounded to the nearest thousand dollars."""
    if estimate is None:
        return None
    try:
        return (Decimal(estimate) / 1000).quantize(Decimal(1)) * 1000
    except InvalidOperation:
        return None


def parse_as_of(value):
    """An ISO date, or today when empty."""
    if not value:
        return timezone.localdate()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)


IMPORTED_SALES_PROVIDER = "Imported sales"


def _sales_file(content, names):
    """The CSV with the columns a sales export may lack added: a closed status, a list price
    (the close price) and a modification timestamp (the close date) — a CSV feed needs them."""
    text = decode(content)
    delimiter = sniff_delimiter(text)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not rows:
        raise ValidationError("The file is empty.")
    header = rows[0]
    columns = [names.get("".join(cell.split()).lower(), cell.strip()) for cell in header]
    added = [
        (name, source)
        for name, source in (
            ("StandardStatus", None),
            ("ListPrice", "ClosePrice"),
            ("ModificationTimestamp", "CloseDate"),
        )
        if name not in columns
    ]
    if not added:
        return content
    positions = {name: columns.index(name) for name in columns if name}
    output = io.StringIO()
    writer = csv.writer(output, delimiter=delimiter)
    writer.writerow([*header, *(name for name, _ in added)])
    for cells in rows[1:]:
        extra = []
        for name, source in added:
            if source is None:
                extra.append(StandardStatus.CLOSED)
                continue
            at = positions.get(source)
            value = cells[at].strip() if at is not None and at < len(cells) else ""
            if name == "ModificationTimestamp" and value:
                value = f"{value[:10]}T00:00:00Z"
            extra.append(value)
        writer.writerow([*cells, *extra])
    return output.getvalue().encode()


def sales_import(*, brokerage, content, filename="sales.csv", mapping=None, progress=None):
    """Load past sales from a CSV through the brokerage's "Imported sales" CSV MLS feed.

    RESO-named columns need no mapping; ``mapping`` renames others (column → RESO name). The
    file is stored as the feed's upload and synced now; returns the finished sync run.
    """
    from mls.choices import ProviderKind, RunKind
    from mls.models import MLSProvider
    from mls.providers.csv import CsvFeedProvider
    from mls.services import provider_feed_upload, provider_sync

    provider = MLSProvider.objects.filter(
        brokerage=brokerage, name=IMPORTED_SALES_PROVIDER, kind=ProviderKind.CSV
    ).first() or MLSProvider(
        brokerage=brokerage,
        name=IMPORTED_SALES_PROVIDER,
        kind=ProviderKind.CSV,
        # The sales are loaded by hand, never on a schedule.
        enabled=False,
    )
    if mapping is not None:
        provider.field_mapping = mapping
    names = CsvFeedProvider(provider).names
    upload = ContentFile(_sales_file(content, names), name=filename)
    run = provider_feed_upload(provider=provider, upload=upload)
    return provider_sync(provider=provider, kind=RunKind.FULL, run=run, progress=progress)
