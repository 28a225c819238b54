"""Comparative market analysis: the pure valuation engine (no database, no Django).

The engine is handed a subject home, an as-of date and a way to fetch closed sales inside a
radius and a time window. It:

1. widens the search step by step (:data:`SEARCH_STEPS`) until enough *similar* sales of the
   same property type are found, and records every step it took;
2. estimates the local adjustment rates from the sales it found — a weighted least-squares
   fit of log price on the features, shrunk (ridge) towards broad market priors so that a thin
   market still gives sensible rates — including the local price trend per month (market time)
   and the price gradient across the area (location);
3. adjusts every comparable to the subject, one feature after the other, so that the raw price
   plus the dollar adjustments is exactly the adjusted price;
4. weighs the comparables by similarity (distance, recency, how much they had to be adjusted),
   and gives the estimate, a low–high range, the price per square foot and a confidence.

Money leaves the engine as ``Decimal`` rounded to the cent; the weighted sum of the adjusted
prices, rounded contribution by contribution, is the estimate to the cent.
"""

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
WEIGHT_PLACES = Decimal("0.000001")
MILES_PER_DEGREE = 69.0
DAYS_PER_MONTH = 30.4375

# (radius in miles, months back): tried in order until enough similar sales are found.
SEARCH_STEPS = (
    (0.5, 6),
    (1.0, 6),
    (1.0, 12),
    (2.0, 12),
    (3.0, 24),
    (5.0, 24),
    (10.0, 36),
    (25.0, 60),
)
MIN_COMPS = 6  # similar sales needed to stop widening
MAX_COMPS = 10  # comparables kept (the most similar)
MIN_MARKET = 30  # sales of the type needed to estimate the local rates
MAX_MARKET = 600  # the nearest sales the rates are fitted on (a dense area needs no more)
MAX_CANDIDATES = 300  # the nearest similar sales ranked as comparables
PRIOR_STRENGTH = 3.0  # the priors weigh as much as this many sales


@dataclass(frozen=True)
class Home:
    """The features of a home that the valuation reads; ``None`` is unknown."""

    latitude: float
    longitude: float
    property_type: str = ""
    living_area: float | None = None
    bedrooms: float | None = None
    bathrooms: float | None = None
    year_built: float | None = None
    lot_size: float | None = None
    garage_spaces: float | None = None
    pool: bool | None = None
    waterfront: bool | None = None
    view: bool | None = None
    condition: float | None = None  # -2 (poor) … +2 (new/remodelled)


@dataclass(frozen=True)
class Sale:
    """A closed sale: the home, its price and date, and how to name it."""

    key: int
    home: Home
    price: float
    close_date: date
    label: str = ""


@dataclass(frozen=True)
class Feature:
    """One adjustable feature: how it is read off a home, and its prior rate in log price."""

    name: str
    label: str
    unit: str
    prior: float  # change of log price per unit
    scale: float  # a typical spread of the feature, for the ridge penalty

    def value(self, home):
        raw = getattr(home, self.name)
        if raw is None:
            return None
        if self.name in ("living_area", "lot_size"):
            return math.log(max(float(raw), 1.0))
        return float(raw)


FEATURES = (
    Feature("living_area", "Living area", "sq ft", 0.70, 0.30),
    Feature("bedrooms", "Bedrooms", "bedroom", -0.01, 1.0),
    Feature("bathrooms", "Bathrooms", "bathroom", 0.04, 0.75),
    Feature("year_built", "Age (year built)", "year", 0.002, 20.0),
    Feature("lot_size", "Lot size", "sq ft", 0.08, 0.50),
    Feature("garage_spaces", "Garage", "space", 0.03, 1.0),
    Feature("pool", "Pool", "pool", 0.04, 0.3),
    Feature("waterfront", "Waterfront", "waterfront", 0.30, 0.3),
    Feature("view", "View", "view", 0.08, 0.3),
    Feature("condition", "Condition", "grade", 0.05, 1.0),
)
# Not features of a home but of a sale relative to the subject.
MARKET_TIME = Feature("months", "Market time", "month", 0.004, 3.0)
NORTH = Feature("north", "Location (north–south)", "mile", 0.0, 1.0)
EAST = Feature("east", "Location (east–west)", "mile", 0.0, 1.0)


@dataclass
class SearchStep:
    """One widening step: where and when it looked and what it found."""

    radius_miles: float
    months: int
    since: date
    sales: int
    similar: int


@dataclass
class Adjustment:
    """One adjustment of a comparable: the feature, the difference and the dollars."""

    feature: str
    label: str
    subject_value: object
    comp_value: object
    rate: str  # the rate in words ("+0.40% per year")
    amount: Decimal


@dataclass
class Comparable:
    """A comparable sale adjusted to the subject, with its weight in the estimate."""

    sale: Sale
    distance_miles: float
    months_ago: float
    adjustments: list[Adjustment]
    adjusted_price: Decimal
    similarity: float
    weight: Decimal = Decimal(0)
    contribution: Decimal = Decimal(0)
    forced: bool = False

    @property
    def raw_price(self):
        return _money(self.sale.price)

    @property
    def net_adjustment(self):
        return sum((a.amount for a in self.adjustments), Decimal(0))


@dataclass
class Rate:
    """An estimated adjustment rate and what it means, for the explanation."""

    feature: str
    label: str
    coefficient: float
    words: str


@dataclass
class Valuation:
    """The result: estimate, range, confidence and every comparable that made them."""

    as_of: date
    subject: Home
    estimate: Decimal | None
    low: Decimal | None
    high: Decimal | None
    price_per_sqft: Decimal | None
    confidence: int
    confidence_label: str
    comparables: list[Comparable]
    steps: list[SearchStep]
    rates: list[Rate]
    market_sales: int
    notes: list[str] = field(default_factory=list)

    @property
    def widened(self):
        return len(self.steps) > 1


# ---------------------------------------------------------------------------------------------
# Geometry


def distance_miles(lat1, lon1, lat2, lon2):
    """Great-circle (haversine) distance in miles."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 3958.8 * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(latitude, longitude, miles):
    """(min lat, max lat, min lon, max lon) of a box holding the circle: an indexable filter."""
    dlat = miles / MILES_PER_DEGREE
    dlon = miles / (MILES_PER_DEGREE * max(math.cos(math.radians(latitude)), 0.01))
    return latitude - dlat, latitude + dlat, longitude - dlon, longitude + dlon


def months_before(as_of, months):
    """The first day of the window that ends at ``as_of`` and spans ``months`` months."""
    return as_of - timedelta(days=round(months * DAYS_PER_MONTH))


def _offsets(subject, home):
    north = (home.latitude - subject.latitude) * MILES_PER_DEGREE
    east = (
        (home.longitude - subject.longitude)
        * MILES_PER_DEGREE
        * math.cos(math.radians(subject.latitude))
    )
    return north, east


def _months_ago(as_of, sale):
    return (as_of - sale.close_date).days / DAYS_PER_MONTH


# ---------------------------------------------------------------------------------------------
# Similarity


def _differ_by_more(a, b, limit):
    return a is not None and b is not None and abs(a - b) > limit


def is_similar(subject, home):
    """Whether a sale is close enough in size, beds, baths and age to stand as a comparable."""
    if subject.living_area and home.living_area:
        ratio = home.living_area / subject.living_area
        if not 0.7 <= ratio <= 1.43:
            return False
    return not (
        _differ_by_more(subject.bedrooms, home.bedrooms, 1)
        or _differ_by_more(subject.bathrooms, home.bathrooms, 1.5)
        or _differ_by_more(subject.year_built, home.year_built, 40)
    )


def _similarity(distance, months_ago, gross_log_adjustment, radius):
    """0–1: near, recent and little adjusted is 1."""
    return math.exp(
        -(2.5 * gross_log_adjustment + 0.35 * distance / max(radius, 0.5) + months_ago / 36)
    )


# ---------------------------------------------------------------------------------------------
# Local rates


def _solve(matrix, vector):
    """Solve a small symmetric positive definite system (Gaussian elimination, pivoting)."""
    n = len(vector)
    a = [row[:] + [vector[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        if abs(a[col][col]) < 1e-12:
            continue
        for r in range(col + 1, n):
            factor = a[r][col] / a[col][col]
            if factor:
                for c in range(col, n + 1):
                    a[r][c] -= factor * a[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        if abs(a[r][r]) < 1e-12:
            continue
        x[r] = (a[r][n] - sum(a[r][c] * x[c] for c in range(r + 1, n))) / a[r][r]
    return x


def _design(subject, sales, as_of, features, medians):
    rows = []
    for sale in sales:
        north, east = _offsets(subject, sale.home)
        row = []
        for feature in features:
            if feature is MARKET_TIME:
                row.append(-_months_ago(as_of, sale))
            elif feature is NORTH:
                row.append(north)
            elif feature is EAST:
                row.append(east)
            else:
                value = feature.value(sale.home)
                row.append(medians[feature.name] if value is None else value)
        rows.append(row)
    return rows


def _median(values):
    ordered = sorted(values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def estimate_rates(subject, sales, as_of, radius):
    """The local rate of each feature in log price per unit, fitted on ``sales``.

    Weighted (nearer sales count more) ridge regression towards the priors, refitted once with
    outliers down-weighted. Returns ``{feature name: coefficient}``.
    """
    features = (*FEATURES, MARKET_TIME, NORTH, EAST)
    medians = {}
    for feature in FEATURES:
        known = [v for s in sales if (v := feature.value(s.home)) is not None]
        medians[feature.name] = _median(known) if known else 0.0
    x = _design(subject, sales, as_of, features, medians)
    y = [math.log(max(s.price, 1.0)) for s in sales]
    base_weights = []
    for sale in sales:
        north, east = _offsets(subject, sale.home)
        base_weights.append(1.0 / (1.0 + (math.hypot(north, east) / max(radius, 0.5)) ** 2))
    scales = [f.scale if f not in (NORTH, EAST) else max(radius, 0.5) / 2 for f in features]
    priors = [f.prior for f in features]
    weights = base_weights
    beta = priors
    for _ in range(2):
        beta = _ridge(x, y, weights, priors, scales)
        residuals = [
            yi - sum(b * v for b, v in zip(beta[1:], row, strict=True)) - beta[0]
            for row, yi in zip(x, y, strict=True)
        ]
        mad = _median([abs(r) for r in residuals]) or 1e-6
        limit = 2.5 * 1.4826 * mad
        weights = [
            w * (1.0 if abs(r) <= limit else limit / abs(r))
            for w, r in zip(base_weights, residuals, strict=True)
        ]
    return {f.name: b for f, b in zip(features, beta[1:], strict=True)}


def _ridge(x, y, weights, priors, scales):
    """Weighted least squares of y on x with an intercept, shrunk towards ``priors``."""
    k = len(priors)
    total = sum(weights) or 1.0
    means = [sum(w * row[j] for w, row in zip(weights, x, strict=True)) / total for j in range(k)]
    ymean = sum(w * yi for w, yi in zip(weights, y, strict=True)) / total
    centred = [[row[j] - means[j] for j in range(k)] for row in x]
    yc = [yi - ymean for yi in y]
    # The prior counts as PRIOR_STRENGTH sales spread by the feature's typical spread.
    lhs = [[0.0] * k for _ in range(k)]
    rhs = [0.0] * k
    for w, row, yi in zip(weights, centred, yc, strict=True):
        for i in range(k):
            wi = w * row[i]
            if wi == 0.0:
                continue
            rhs[i] += wi * yi
            lhs_i = lhs[i]
            for j in range(i, k):
                lhs_i[j] += wi * row[j]
    for i in range(k):
        for j in range(i):
            lhs[i][j] = lhs[j][i]
        penalty = PRIOR_STRENGTH * scales[i] ** 2
        lhs[i][i] += penalty
        rhs[i] += penalty * priors[i]
    beta = _solve(lhs, rhs)
    intercept = ymean - sum(b * m for b, m in zip(beta, means, strict=True))
    return [intercept, *beta]


def _rate_words(feature, coefficient):
    if feature.name in ("living_area", "lot_size"):
        return f"{coefficient:+.2f}% per 1% of {feature.unit}"
    if feature.name == "months":
        return f"prices moved {100 * (math.exp(coefficient) - 1):+.2f}% per month"
    if feature in (NORTH, EAST):
        return f"{100 * (math.exp(coefficient) - 1):+.2f}% per {feature.unit}"
    return f"{100 * (math.exp(coefficient) - 1):+.2f}% per {feature.unit}"


# ---------------------------------------------------------------------------------------------
# Adjusting


def _display(feature, home):
    raw = getattr(home, feature.name)
    if isinstance(raw, bool):
        return "yes" if raw else "no"
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    return raw


def adjust(subject, sale, as_of, rates, radius):
    """The comparable adjusted to the subject, feature by feature, in dollars."""
    price = float(sale.price)
    amounts = []
    gross = 0.0
    steps = []
    for feature in FEATURES:
        subject_value, comp_value = feature.value(subject), feature.value(sale.home)
        if subject_value is None or comp_value is None or subject_value == comp_value:
            continue
        steps.append(
            (
                feature,
                rates[feature.name] * (subject_value - comp_value),
                _display(feature, subject),
                _display(feature, sale.home),
            )
        )
    north, east = _offsets(subject, sale.home)
    location = -(rates[NORTH.name] * north + rates[EAST.name] * east)
    if abs(location) > 1e-9:
        steps.append((NORTH, location, "subject", f"{north:+.2f} mi N, {east:+.2f} mi E"))
    months = _months_ago(as_of, sale)
    if months > 0:
        steps.append(
            (MARKET_TIME, rates[MARKET_TIME.name] * months, as_of.isoformat(), sale.close_date)
        )
    for feature, log_change, subject_shown, comp_shown in steps:
        # One feature never moves a comparable by more than about a third either way: a guard
        # against a rate fitted on too few sales.
        log_change = max(-0.4, min(0.3, log_change))
        gross += abs(log_change) if feature is not MARKET_TIME else 0.0
        new_price = price * math.exp(log_change)
        label = "Location" if feature is NORTH else feature.label
        if feature is NORTH:
            words = (
                f"{100 * (math.exp(rates['north']) - 1):+.2f}% per mile north, "
                f"{100 * (math.exp(rates['east']) - 1):+.2f}% per mile east"
            )
        else:
            words = _rate_words(feature, rates[feature.name])
        amounts.append(
            Adjustment(
                feature=feature.name if feature is not NORTH else "location",
                label=label,
                subject_value=str(subject_shown),
                comp_value=str(comp_shown),
                rate=words,
                amount=_money(new_price - price),
            )
        )
        price = new_price
    adjusted = _money(sale.price) + sum((a.amount for a in amounts), Decimal(0))
    distance = distance_miles(
        subject.latitude, subject.longitude, sale.home.latitude, sale.home.longitude
    )
    return Comparable(
        sale=sale,
        distance_miles=distance,
        months_ago=months,
        adjustments=amounts,
        adjusted_price=adjusted,
        similarity=_similarity(distance, months, gross, radius),
    )


# ---------------------------------------------------------------------------------------------
# The valuation


def _money(value):
    return Decimal(str(round(float(value), 2))).quantize(CENT, rounding=ROUND_HALF_UP)


def _weights(similarities):
    """Weights proportional to similarity, six decimals, summing to exactly one."""
    total = sum(similarities) or 1.0
    weights = [
        Decimal(str(s / total)).quantize(WEIGHT_PLACES, rounding=ROUND_HALF_UP)
        for s in similarities
    ]
    if weights:
        largest = max(range(len(weights)), key=lambda i: weights[i])
        weights[largest] += Decimal(1) - sum(weights)
    return weights


def _search(subject, as_of, fetch, exclude, subject_key):
    steps, found = [], []
    for radius, months in SEARCH_STEPS:
        since = months_before(as_of, months)
        sales = [
            sale
            for sale in fetch(radius, since)
            if sale.key not in exclude
            and sale.key != subject_key
            and since <= sale.close_date < as_of
            and (not subject.property_type or sale.home.property_type == subject.property_type)
            and distance_miles(
                subject.latitude, subject.longitude, sale.home.latitude, sale.home.longitude
            )
            <= radius
        ]
        similar = [s for s in sales if is_similar(subject, s.home)]
        steps.append(SearchStep(radius, months, since, len(sales), len(similar)))
        found = (radius, sales, similar)
        if len(similar) >= MIN_COMPS and len(sales) >= MIN_MARKET:
            break
    return steps, found


def _nearest(subject, sales, count):
    if len(sales) <= count:
        return sales
    return sorted(
        sales,
        key=lambda s: (
            (s.home.latitude - subject.latitude) ** 2
            + ((s.home.longitude - subject.longitude) * math.cos(math.radians(subject.latitude)))
            ** 2
        ),
    )[:count]


def valuate(*, subject, as_of, fetch, exclude=(), include=(), subject_key=None):
    """Value ``subject`` as of ``as_of`` from the closed sales ``fetch`` returns.

    ``fetch(radius_miles, since)`` returns the closed sales of the subject's area sold on or
    after ``since`` (it may return more: sales after ``as_of``, outside the circle or of another
    type are dropped here). ``exclude`` are sale keys the agent took out, ``include`` sales the
    agent added; ``subject_key`` is the subject's own key, never its own comparable.
    """
    exclude = set(exclude)
    steps, (radius, market, similar) = _search(subject, as_of, fetch, exclude, subject_key)
    notes = []
    if len(steps) > 1:
        last = steps[-1]
        notes.append(
            f"Widened the search {len(steps) - 1} time(s) to {last.radius_miles:g} miles and "
            f"{last.months} months to find enough similar sales."
        )
    forced = [
        s for s in include if s.key != subject_key and s.key not in exclude and s.close_date < as_of
    ]
    market = _nearest(subject, market, MAX_MARKET)
    market_keys = {s.key for s in market}
    rates = estimate_rates(
        subject, market + [s for s in forced if s.key not in market_keys], as_of, radius
    )
    candidates = [
        adjust(subject, sale, as_of, rates, radius)
        for sale in _nearest(subject, similar, MAX_CANDIDATES)
    ]
    candidates.sort(key=lambda c: -c.similarity)
    forced_keys = {s.key for s in forced}
    comps = [c for c in candidates if c.sale.key not in forced_keys][:MAX_COMPS]
    for sale in forced:
        comp = adjust(subject, sale, as_of, rates, radius)
        comp.forced = True
        comps.append(comp)
    if len(similar) < MIN_COMPS:
        notes.append(
            f"Only {len(similar)} similar sale(s) found within {radius:g} miles; "
            "the estimate is less reliable."
        )
    rate_list = [
        Rate(f.name, f.label, rates[f.name], _rate_words(f, rates[f.name]))
        for f in (*FEATURES, MARKET_TIME, NORTH, EAST)
    ]
    if not comps:
        return Valuation(
            as_of=as_of,
            subject=subject,
            estimate=None,
            low=None,
            high=None,
            price_per_sqft=None,
            confidence=0,
            confidence_label="none",
            comparables=[],
            steps=steps,
            rates=rate_list,
            market_sales=len(market),
            notes=[*notes, "No comparable sale was found."],
        )
    weights = _weights([c.similarity for c in comps])
    for comp, weight in zip(comps, weights, strict=True):
        comp.weight = weight
        comp.contribution = (weight * comp.adjusted_price).quantize(CENT, rounding=ROUND_HALF_UP)
    estimate = sum((c.contribution for c in comps), Decimal(0))
    low, high, confidence = _range_and_confidence(comps, estimate, len(steps))
    ppsf = (
        (estimate / Decimal(str(subject.living_area))).quantize(CENT)
        if subject.living_area
        else None
    )
    label = "high" if confidence >= 70 else "medium" if confidence >= 45 else "low"
    return Valuation(
        as_of=as_of,
        subject=subject,
        estimate=estimate,
        low=low,
        high=high,
        price_per_sqft=ppsf,
        confidence=confidence,
        confidence_label=label,
        comparables=comps,
        steps=steps,
        rates=rate_list,
        market_sales=len(market),
        notes=notes,
    )


def _range_and_confidence(comps, estimate, steps_taken):
    """The range from the weighted spread of the adjusted prices; confidence from the comps."""
    est = float(estimate)
    weights = [float(c.weight) for c in comps]
    logs = [math.log(max(float(c.adjusted_price), 1.0)) for c in comps]
    centre = math.log(max(est, 1.0))
    variance = sum(w * (v - centre) ** 2 for w, v in zip(weights, logs, strict=True))
    effective = 1.0 / (sum(w * w for w in weights) or 1.0)
    # The spread of one home's price around its comparables, never narrower than 3%.
    spread = max(0.03, math.sqrt(variance) * (1 + 1 / effective))
    low, high = _money(est * math.exp(-spread)), _money(est * math.exp(spread))
    mean_similarity = sum(w * c.similarity for w, c in zip(weights, comps, strict=True))
    score = (
        100
        * min(effective / 5.0, 1.0)
        * math.exp(-max(spread - 0.03, 0) / 0.12)
        * (0.5 + 0.5 * mean_similarity)
        * (0.97 ** max(steps_taken - 3, 0))
    )
    return low, high, max(0, min(100, round(score)))


def textbook_estimate(*, subject, as_of, sales, count=6):
    """The textbook CMA, for comparison: the median $/sq ft of the ``count`` nearest similar
    sales before ``as_of``, times the subject's living area."""
    eligible = [
        s
        for s in sales
        if s.close_date < as_of
        and s.home.living_area
        and (not subject.property_type or s.home.property_type == subject.property_type)
        and is_similar(subject, s.home)
    ]
    eligible.sort(
        key=lambda s: distance_miles(
            subject.latitude, subject.longitude, s.home.latitude, s.home.longitude
        )
    )
    nearest = eligible[:count]
    if not nearest or not subject.living_area:
        return None
    return _median([s.price / s.home.living_area for s in nearest]) * subject.living_area
