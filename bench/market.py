#!/usr/bin/env python
"""How fast the market statistics of one area are over 100,000 listings.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/market.py [--listings 100000] [--runs 30]

Creates a database of its own on the server of ``DATABASE_URL`` (``crm_market_bench``,
dropped at the end) and bulk-inserts ``--listings`` listings of one brokerage over three years
around one town: 62 % closed sales, the rest active, pending, coming soon, withdrawn, expired
or canceled, with on-market dates, list and original prices, living areas and days on market
for some. Then, in one process and for the same areas (the whole town, a postal code, a
2-mile circle; all types and one type; 12 and 36 months):

1. the product (``properties.market.market_stats``: three grouped queries with the medians
   computed by PostgreSQL's ``percentile_cont``);
2. the baseline: the same statistics computed in Python over the fetched rows
   (``market_stats_in_python``, what SQLite runs).

Checks that both give the same figures, prints p50/p95 (ms) of each and PASS/FAIL against the
target: p95 of the product ≤ 300 ms for every area.
"""

import argparse
import math
import random
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from environment import listings_seed, own_database, production_like  # noqa: E402 - bench/ is the script's folder

TARGET_MS = 300
START = date(2023, 1, 1)
DAYS = 3 * 365
AS_OF = START + timedelta(days=DAYS + 20)
CENTRE = (47.5, -122.2)
POSTAL_CODES = [f"980{n:02d}" for n in range(20)]
TYPES = ["Residential"] * 8 + ["Residential Income", "Land"]
UNSOLD = (
    ["Active"] * 5
    + ["Pending", "ActiveUnderContract", "ComingSoon"]
    + [
        "Withdrawn",
        "Expired",
        "Canceled",
    ]
)


def generate(count, seed=1):
    """``count`` listings as dicts of listing fields: sales and unsold listings of one town."""
    rng = random.Random(seed)
    lat0, lon0 = CENTRE
    rows = []
    for i in range(count):
        lat, lon = lat0 + rng.uniform(-0.15, 0.15), lon0 + rng.uniform(-0.2, 0.2)
        area = round(math.exp(rng.gauss(math.log(1900), 0.35)))
        listed = START + timedelta(days=rng.randrange(DAYS))
        t = (listed - START).days / 30.4
        price = Decimal(round(math.exp(12.3 + 0.75 * math.log(area / 1900) + 0.005 * t), -3))
        original = price if rng.random() < 0.7 else price * Decimal("1.04")
        days = max(1, round(rng.expovariate(1 / 35)))
        closed = listed + timedelta(days=days)
        sold = rng.random() < 0.62 and closed < AS_OF
        row = {
            "listing_key": f"market-{i}",
            "standard_status": "Closed" if sold else rng.choice(UNSOLD),
            "property_type": rng.choice(TYPES),
            "street_number": str(i % 9000 + 1),
            "street_name": f"Bench {i // 9000}",
            "city": "Benchton",
            "state_or_province": "WA",
            "postal_code": rng.choice(POSTAL_CODES),
            "latitude": Decimal(f"{lat:.6f}"),
            "longitude": Decimal(f"{lon:.6f}"),
            "living_area": area if rng.random() < 0.95 else None,
            "list_price": price,
            "original_list_price": original,
        }
        if rng.random() < 0.8:
            row["on_market_date"] = listed
        else:
            row["listing_contract_date"] = listed
        if sold:
            row["close_date"] = closed
            row["close_price"] = Decimal(round(float(price) * rng.uniform(0.93, 1.05), -2))
            if rng.random() < 0.5:
                row["days_on_market"] = days
        rows.append(row)
    return rows


def _percentiles(timings):
    timings = sorted(timings)
    return timings[len(timings) // 2], timings[min(len(timings) - 1, int(len(timings) * 0.95))]


def _time(function, runs, **kwargs):
    timings = []
    result = None
    for _ in range(runs):
        begin = time.perf_counter()
        result = function(**kwargs)
        timings.append((time.perf_counter() - begin) * 1000)
    return result, timings


def measure(args):
    from agents.choices import Role
    from agents.services.people import agent_create, brokerage_create
    from properties.market import MarketArea, market_stats, market_stats_in_python

    brokerage = brokerage_create(name="Bench Realty", slug="bench-realty")
    agent = agent_create(
        brokerage=brokerage,
        username="bench-agent",
        email="agent@bench.example",
        first_name="Bench",
        last_name="Agent",
        role=Role.AGENT,
    )
    started = time.perf_counter()
    listings_seed(generate(args.listings), brokerage)
    sys.stdout.write(f"Seeded {args.listings:,} listings in {time.perf_counter() - started:.0f}s\n")

    town = MarketArea(kind="city", city="benchton", label="Benchton")
    postal = MarketArea(kind="postal_code", postal_code=POSTAL_CODES[0], label=POSTAL_CODES[0])
    circle = MarketArea(
        kind="radius", latitude=CENTRE[0], longitude=CENTRE[1], radius_miles=2, label="2 mi"
    )
    cases = [
        ("town, all types, 12 months", town, "", 12),
        ("town, all types, 36 months", town, "", 36),
        ("town, Residential, 12 months", town, "Residential", 12),
        ("postal code, 12 months", postal, "", 12),
        ("2-mile circle, 12 months", circle, "", 12),
    ]
    user = agent.user
    write = sys.stdout.write
    write(f"{'area':32} {'product p50/p95 ms':>20} {'python p50/p95 ms':>20}  same figures\n")
    results = []
    for label, area, property_type, months in cases:
        kwargs = {
            "user": user,
            "area": area,
            "property_type": property_type,
            "months": months,
            "as_of": AS_OF,
        }
        market_stats(**kwargs)  # warm the caches, as a page after the first would be
        product, product_ms = _time(market_stats, args.runs, **kwargs)
        python, python_ms = _time(market_stats_in_python, max(3, args.runs // 5), **kwargs)
        same = product.months == python.months and product.trends == python.trends
        p50, p95 = _percentiles(product_ms)
        b50, b95 = _percentiles(python_ms)
        sales = sum(m.closed_sales for m in product.months)
        write(
            f"{label:32} {p50:9.0f} / {p95:6.0f}   {b50:9.0f} / {b95:6.0f}   "
            f"{'yes' if same else 'NO'} ({sales:,} sales)\n"
        )
        results.append((f"{label}: p95 {p95:.0f} ms <= {TARGET_MS} ms", p95 <= TARGET_MS))
        results.append((f"{label}: the database and Python agree", same))
    if args.explain:
        explain(market_stats, user=user, area=town, months=12, as_of=AS_OF)
    for text, ok in results:
        write(f"{'PASS' if ok else 'FAIL'}  {text}\n")
    return results


def explain(function, **kwargs):
    """Each query of one run, with PostgreSQL's plan and timing."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        function(**kwargs)
    for query in queries.captured_queries:
        sys.stdout.write(f"\n{query['time']}s  {query['sql'][:300]}...\n")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                for (line,) in cursor.fetchall():
                    sys.stdout.write(f"    {line}\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--explain", action="store_true", help="Plans of the town's queries.")
    args = parser.parse_args()
    production_like("bench-market")
    import django

    django.setup()
    with own_database("crm_market_bench"):
        results = measure(args)
    return 0 if all(ok for _, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
