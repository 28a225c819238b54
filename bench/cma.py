#!/usr/bin/env python
"""How accurate the CMA is against the textbook CMA, and how fast one CMA is.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/cma.py [--sales 100000] [--held-out 300]

Creates a database of its own on the server of ``DATABASE_URL`` (dropped at the end) and
fills it with ``--sales`` closed sales of one brokerage, generated from a known hedonic model
(a location value surface with neighbourhoods, size, beds, baths, age, lot, garage, pool,
waterfront, view, condition, a market that rises and then cools) plus 8 % log-normal noise.
Then, in one process and on the same held-out set — sales of the last three months of the
data, each priced as of its own close date from the sales before it:

1. the product (``properties.cma.cma_run`` through the database, as the API runs it);
2. the textbook CMA: median $/sq ft of the six nearest similar sales (``textbook_estimate``).

Prints the median absolute error and the share within 10 % of both, the time of one CMA
(p50/p95, ms) and PASS/FAIL against the targets: median error ≤ 8 %, ≥ 60 % within 10 %,
p95 of one CMA ≤ 200 ms. The generated market's noise alone gives a median error of ~5.4 %.
"""

import argparse
import math
import random
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from environment import listings_seed, own_database, production_like  # noqa: E402 - bench/ is the script's folder

TARGET_MEDIAN_ERROR = 0.08
TARGET_WITHIN_10 = 0.60
TARGET_MS = 200
START = date(2022, 1, 1)
DAYS = 3 * 365
HELD_OUT_FROM = START + timedelta(days=DAYS - 92)
CENTRE = (47.5, -122.2)
CONDITIONS = {-1: "Fixer", 0: "", 1: "Updated/Remodeled", 2: "New Construction"}


def generate(count, seed=1):
    """``count`` sales as dicts of listing fields, from the known model plus noise."""
    rng = random.Random(seed)
    lat0, lon0 = CENTRE
    blobs = [
        (
            rng.uniform(-0.15, 0.15),
            rng.uniform(-0.2, 0.2),
            rng.uniform(-0.35, 0.35),
            rng.uniform(0.01, 0.04),
        )
        for _ in range(60)
    ]

    def location(lat, lon):
        value = 0.3 * math.sin((lat - lat0) * 20) + 0.2 * math.cos((lon - lon0) * 15)
        for dlat, dlon, amplitude, size in blobs:
            d2 = ((lat - lat0 - dlat) ** 2 + (lon - lon0 - dlon) ** 2) / (size * size)
            value += amplitude * math.exp(-d2)
        return value

    rows = []
    for i in range(count):
        lat, lon = lat0 + rng.uniform(-0.18, 0.18), lon0 + rng.uniform(-0.25, 0.25)
        area = math.exp(rng.gauss(math.log(1900), 0.35))
        beds = max(1, min(7, round(area / 600 + rng.gauss(0, 0.7))))
        baths = max(1, min(5, round(area / 900 + rng.gauss(0, 0.5))))
        year = rng.randint(1920, 2022)
        lot = math.exp(rng.gauss(math.log(7000), 0.5))
        garage = rng.choice([0, 1, 2, 2, 2, 3])
        pool, water, view = rng.random() < 0.1, rng.random() < 0.03, rng.random() < 0.12
        condition = rng.choice([-1, 0, 0, 0, 1, 1, 2]) if rng.random() < 0.8 else None
        closed = START + timedelta(days=rng.randrange(DAYS))
        t = (closed - START).days / 30.4
        index = 0.006 * t - 0.0006 * max(t - 18, 0) ** 2
        log_price = (
            12.0
            + 0.75 * math.log(area)
            + 0.02 * baths
            - 0.01 * beds
            + 0.003 * (year - 1970)
            + 0.07 * math.log(lot)
            + 0.03 * garage
            + 0.05 * pool
            + 0.35 * water
            + 0.1 * view
            + 0.06 * (condition or 0)
            + location(lat, lon)
            + index
            + rng.gauss(0, 0.08)
        )
        price = Decimal(round(math.exp(log_price), -2))
        rows.append(
            {
                "listing_key": f"sale-{i}",
                "standard_status": "Closed",
                "property_type": "Residential",
                "street_number": str(i % 9000 + 1),
                "street_name": f"Bench {i // 9000}",
                "city": "Benchton",
                "state_or_province": "WA",
                "postal_code": "98000",
                "latitude": Decimal(f"{lat:.6f}"),
                "longitude": Decimal(f"{lon:.6f}"),
                "living_area": round(area),
                "bedrooms_total": beds,
                "bathrooms_total_integer": baths,
                "year_built": year,
                "lot_size_square_feet": round(lot),
                "garage_spaces": garage,
                "pool_private_yn": pool,
                "waterfront_yn": water,
                "view_yn": view,
                "property_condition": [CONDITIONS[condition]]
                if condition is not None and CONDITIONS[condition]
                else [],
                "list_price": price,
                "close_price": price,
                "close_date": closed,
            }
        )
    return rows


def _share_within(errors, limit):
    return sum(e <= limit for e in errors) / len(errors)


def measure(args):
    from agents.choices import Role
    from agents.services.people import agent_create, brokerage_create
    from properties.cma import cma_run
    from properties.models import Property
    from properties.valuation import Home, Sale, textbook_estimate

    brokerage = brokerage_create(name="Bench Realty", slug="bench-realty")
    broker = agent_create(
        brokerage=brokerage,
        username="bench-broker",
        email="broker@bench.example",
        first_name="Bench",
        last_name="Broker",
        role=Role.BROKER,
    )
    started = time.perf_counter()
    rows = generate(args.sales)
    listings_seed(rows, brokerage)
    sys.stdout.write(f"Seeded {len(rows):,} closed sales in {time.perf_counter() - started:.0f}s\n")

    listings = {
        p.listing_key: p
        for p in Property.objects.filter(close_date__gte=HELD_OUT_FROM).order_by("pk")
    }
    held_out = [listings[r["listing_key"]] for r in rows if r["close_date"] >= HELD_OUT_FROM]
    random.Random(2).shuffle(held_out)
    held_out = held_out[: args.held_out]

    sales = [
        Sale(
            i,
            Home(
                latitude=float(r["latitude"]),
                longitude=float(r["longitude"]),
                property_type=r["property_type"],
                living_area=r["living_area"],
                bedrooms=r["bedrooms_total"],
                bathrooms=r["bathrooms_total_integer"],
                year_built=r["year_built"],
            ),
            float(r["close_price"]),
            r["close_date"],
        )
        for i, r in enumerate(rows)
    ]
    product_errors, textbook_errors, timings = [], [], []
    for listing in held_out:
        truth = float(listing.close_price)
        begin = time.perf_counter()
        run = cma_run(user=broker.user, as_of=listing.close_date, listing=listing)
        timings.append((time.perf_counter() - begin) * 1000)
        if run.valuation.estimate is not None:
            product_errors.append(abs(float(run.valuation.estimate) / truth - 1))
        subject = Home(
            latitude=float(listing.latitude),
            longitude=float(listing.longitude),
            property_type=listing.property_type,
            living_area=listing.living_area,
            bedrooms=listing.bedrooms_total,
            bathrooms=listing.bathrooms_total_integer,
            year_built=listing.year_built,
        )
        nearby = [
            s
            for s in sales
            if abs(s.home.latitude - subject.latitude) < 0.05
            and abs(s.home.longitude - subject.longitude) < 0.07
            and not (s.home.latitude == subject.latitude and s.home.longitude == subject.longitude)
        ]
        estimate = textbook_estimate(subject=subject, as_of=listing.close_date, sales=nearby)
        if estimate is not None:
            textbook_errors.append(abs(estimate / truth - 1))

    timings.sort()
    p50 = timings[len(timings) // 2]
    p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
    product_median = statistics.median(product_errors)
    product_within = _share_within(product_errors, 0.10)
    write = sys.stdout.write
    write(f"Held-out sales (last 3 months, priced as of their date): {len(held_out)}\n")
    write(
        f"  product : median abs error {product_median:6.1%}, within 10 % {product_within:6.1%}"
        f" ({len(product_errors)} valued)\n"
    )
    write(
        f"  textbook: median abs error {statistics.median(textbook_errors):6.1%}, within 10 % "
        f"{_share_within(textbook_errors, 0.10):6.1%} ({len(textbook_errors)} valued)\n"
    )
    write(f"One CMA over {args.sales:,} closed sales: p50 {p50:.0f} ms, p95 {p95:.0f} ms\n")
    results = [
        (f"median abs error {product_median:.1%} <= 8%", product_median <= TARGET_MEDIAN_ERROR),
        (f"within 10%: {product_within:.1%} >= 60%", product_within >= TARGET_WITHIN_10),
        (f"one CMA p95 {p95:.0f} ms <= {TARGET_MS} ms", p95 <= TARGET_MS),
    ]
    for text, ok in results:
        write(f"{'PASS' if ok else 'FAIL'}  {text}\n")
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sales", type=int, default=100_000)
    parser.add_argument("--held-out", type=int, default=300)
    args = parser.parse_args()
    production_like("bench-cma")
    import django

    django.setup()
    with own_database("crm_cma_bench"):
        results = measure(args)
    return 0 if all(ok for _, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
