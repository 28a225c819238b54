#!/usr/bin/env python
"""How fast the listing pages and the listing API answer on a big brokerage.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench \\
        .venv/bin/python bench/web.py [--listings 100000] [--requests 300]

Migrates the database, seeds one brokerage with N listings (once: skipped when the count
already matches), then measures in one process with django.test.Client, signed in as an
agent, interleaving a trivial baseline view with the listing page, a listing's detail page
and the API list. Prints p50/p95, the p95 ratio to the baseline, queries per request at a
small and a large page size, and PASS/FAIL against the targets. See bench/README.md.
"""

import argparse
import os
import random
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from environment import production_like  # noqa: E402 - bench/ is the script's folder

BENCH_SLUG = "bench-realty"
SEED_KEY_PREFIX = "seed-"
BATCH_SIZE = 5000
TARGET_MS = 50.0
TARGET_RATIO = 5.0

# ~50 towns; a few big ones hold most listings, as in a real market (Zipf-like weights).
CITIES = [
    ("Springfield", "IL", "62701", "Sangamon", 39.7817, -89.6501),
    ("Riverton", "WY", "82501", "Fremont", 43.0250, -108.3801),
    ("Franklin", "TN", "37064", "Williamson", 35.9251, -86.8689),
    ("Greenville", "SC", "29601", "Greenville", 34.8526, -82.3940),
    ("Madison", "WI", "53703", "Dane", 43.0731, -89.4012),
    ("Clinton", "IA", "52732", "Clinton", 41.8445, -90.1887),
    ("Georgetown", "TX", "78626", "Williamson", 30.6333, -97.6770),
    ("Salem", "OR", "97301", "Marion", 44.9429, -123.0351),
    ("Fairview", "NJ", "07022", "Bergen", 40.8126, -73.9990),
    ("Bristol", "CT", "06010", "Hartford", 41.6718, -72.9493),
    ("Dover", "DE", "19901", "Kent", 39.1582, -75.5244),
    ("Ashland", "OR", "97520", "Jackson", 42.1946, -122.7095),
    ("Burlington", "VT", "05401", "Chittenden", 44.4759, -73.2121),
    ("Manchester", "NH", "03101", "Hillsborough", 42.9956, -71.4548),
    ("Oxford", "MS", "38655", "Lafayette", 34.3665, -89.5192),
    ("Arlington", "VA", "22201", "Arlington", 38.8816, -77.0910),
    ("Auburn", "AL", "36830", "Lee", 32.6099, -85.4808),
    ("Bedford", "NH", "03110", "Hillsborough", 42.9465, -71.5159),
    ("Camden", "ME", "04843", "Knox", 44.2098, -69.0648),
    ("Dayton", "OH", "45402", "Montgomery", 39.7589, -84.1916),
    ("Eugene", "OR", "97401", "Lane", 44.0521, -123.0868),
    ("Fayetteville", "AR", "72701", "Washington", 36.0626, -94.1574),
    ("Hudson", "OH", "44236", "Summit", 41.2401, -81.4407),
    ("Jackson", "WY", "83001", "Teton", 43.4799, -110.7624),
    ("Kingston", "NY", "12401", "Ulster", 41.9270, -73.9974),
    ("Lexington", "KY", "40507", "Fayette", 38.0406, -84.5037),
    ("Marion", "IN", "46952", "Grant", 40.5584, -85.6591),
    ("Newport", "RI", "02840", "Newport", 41.4901, -71.3128),
    ("Oakland", "CA", "94612", "Alameda", 37.8044, -122.2712),
    ("Plymouth", "MA", "02360", "Plymouth", 41.9584, -70.6673),
    ("Quincy", "MA", "02169", "Norfolk", 42.2529, -71.0023),
    ("Richmond", "VA", "23219", "Richmond City", 37.5407, -77.4360),
    ("Sedona", "AZ", "86336", "Yavapai", 34.8697, -111.7610),
    ("Taos", "NM", "87571", "Taos", 36.4072, -105.5731),
    ("Urbana", "IL", "61801", "Champaign", 40.1106, -88.2073),
    ("Vail", "CO", "81657", "Eagle", 39.6403, -106.3742),
    ("Winchester", "VA", "22601", "Winchester City", 39.1857, -78.1633),
    ("Yorktown", "VA", "23690", "York", 37.2388, -76.5097),
    ("Zionsville", "IN", "46077", "Boone", 39.9509, -86.2619),
    ("Bend", "OR", "97701", "Deschutes", 44.0582, -121.3153),
    ("Boulder", "CO", "80302", "Boulder", 40.0150, -105.2705),
    ("Carmel", "IN", "46032", "Hamilton", 39.9784, -86.1180),
    ("Durham", "NC", "27701", "Durham", 35.9940, -78.8986),
    ("Frederick", "MD", "21701", "Frederick", 39.4143, -77.4105),
    ("Galena", "IL", "61036", "Jo Daviess", 42.4167, -90.4290),
    ("Hanover", "NH", "03755", "Grafton", 43.7022, -72.2896),
    ("Ithaca", "NY", "14850", "Tompkins", 42.4440, -76.5019),
    ("Juneau", "AK", "99801", "Juneau", 58.3019, -134.4197),
    ("Keene", "NH", "03431", "Cheshire", 42.9337, -72.2781),
    ("Lancaster", "PA", "17602", "Lancaster", 40.0379, -76.3055),
]
CITY_WEIGHTS = [1 / (rank + 1) ** 0.8 for rank in range(len(CITIES))]
STATUS_WEIGHTS = {
    "Active": 60,
    "Pending": 10,
    "ActiveUnderContract": 4,
    "ComingSoon": 4,
    "Closed": 16,
    "Withdrawn": 3,
    "Expired": 2,
    "Canceled": 1,
}
KINDS = [
    ("Residential", "SingleFamilyResidence", 60),
    ("Residential", "Condominium", 18),
    ("Residential", "Townhouse", 10),
    ("ResidentialIncome", "Duplex", 4),
    ("ResidentialLease", "Apartment", 4),
    ("Land", "UnimprovedLand", 4),
]
STREETS = ("Maple", "Oak", "Main", "Elm", "Cedar", "Pine", "Lake", "Hill", "Park", "Washington")
SUFFIXES = ("St", "Ave", "Rd", "Ln", "Dr", "Ct", "Way")


def configure(args):
    """Environment for a production-like run (DEBUG off) that the test client can call."""
    production_like("bench-web")
    # Measuring, not throttling: the throttle's cache work still runs on every API call.
    os.environ.setdefault("API_THROTTLE_USER", "1000000/min")
    if "DATABASE_URL" not in os.environ:
        print("DATABASE_URL is not set: using SQLite under VAR_DIR (targets are for PostgreSQL).")
    import django

    django.setup()


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


# --- Seeding ----------------------------------------------------------------------------------


def seed_people():
    """One brokerage with an office, a broker and four agents (through the services)."""
    from agents.choices import Role
    from agents.models import Agent, Brokerage
    from agents.services.people import agent_create, brokerage_create, office_create

    brokerage = Brokerage.objects.filter(slug=BENCH_SLUG).first()
    if brokerage is None:
        brokerage = brokerage_create(name="Bench Realty", slug=BENCH_SLUG)
        office = office_create(brokerage=brokerage, name="Main office", city="Springfield")
        agent_create(brokerage=brokerage, username="bench-broker", role=Role.BROKER, office=office)
        for n in range(1, 5):
            agent_create(
                brokerage=brokerage,
                username=f"bench-agent{n}",
                first_name="Agent",
                last_name=f"Number {n}",
                role=Role.AGENT,
                office=office,
            )
    agents = list(Agent.objects.filter(brokerage=brokerage).select_related("user", "office"))
    return brokerage, agents


def seed_listings(brokerage, agents, total):
    """Bulk-insert listings until the brokerage has ``total`` of them."""
    from django.db import connection
    from django.utils import timezone

    from properties.models import Property

    seeded = Property.objects.filter(brokerage=brokerage, listing_key__startswith=SEED_KEY_PREFIX)
    existing = seeded.count()
    if existing == total:
        print(f"Seed: {existing} listings already there; not seeding.")
        return
    if existing > total:
        sys.exit(
            f"The database has {existing} bench listings, more than --listings {total}: "
            "use a fresh database or the same --listings as before."
        )
    started = time.perf_counter()
    rng = random.Random(existing)
    now = timezone.now()
    statuses, status_weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    kinds, kind_weights = [k[:2] for k in KINDS], [k[2] for k in KINDS]
    batch = []
    for number in range(existing, total):
        city, state, postal, county, lat, lon = rng.choices(CITIES, CITY_WEIGHTS)[0]
        property_type, sub_type = rng.choices(kinds, kind_weights)[0]
        status = rng.choices(statuses, status_weights)[0]
        beds = rng.choice((1, 2, 3, 3, 4, 4, 5)) if property_type != "Land" else None
        area = int(rng.gauss(700 + (beds or 0) * 420, 250)) if beds else None
        area = max(area, 450) if area else None
        price = (area or 2000) * rng.uniform(150, 450) if property_type != "Land" else 90_000
        if property_type == "ResidentialLease":
            price = price * 0.005
        listed = date(2026, 1, 1) - timedelta(days=rng.randint(0, 600))
        agent = rng.choice(agents)
        listing = Property(
            brokerage=brokerage,
            listing_key=f"{SEED_KEY_PREFIX}{number:07d}",
            listing_id=f"{5_000_000 + number}",
            standard_status=status,
            property_type=property_type,
            property_sub_type=sub_type,
            street_number=str(rng.randint(1, 9999)),
            street_name=rng.choice(STREETS),
            street_suffix=rng.choice(SUFFIXES),
            city=city,
            state_or_province=state,
            postal_code=postal,
            county_or_parish=county,
            latitude=Decimal(f"{lat + rng.gauss(0, 0.02):.6f}"),
            longitude=Decimal(f"{lon + rng.gauss(0, 0.02):.6f}"),
            bedrooms_total=beds,
            bathrooms_full=max(1, (beds or 2) - 1) if beds else None,
            bathrooms_total_integer=max(1, (beds or 2) - 1) if beds else None,
            living_area=area,
            year_built=rng.randint(1900, 2025) if beds else None,
            list_price=Decimal(round(price, -2)).quantize(Decimal("0.01")),
            original_list_price=Decimal(round(price, -2)).quantize(Decimal("0.01")),
            listing_contract_date=listed,
            on_market_date=listed,
            public_remarks=(
                f"{rng.choice(('Charming', 'Spacious', 'Updated', 'Sunny'))} "
                f"{beds or 'lot'}{'-bedroom home' if beds else ''} in {city} close to "
                f"{rng.choice(('schools', 'the park', 'downtown', 'the river trail'))}."
            ),
            list_agent=agent,
            list_office=agent.office,
            modification_timestamp=now - timedelta(seconds=rng.randint(0, 365 * 86400)),
        )
        listing.search_document = listing.build_search_document()
        listing.home_key = listing.build_home_key()
        batch.append(listing)
        if len(batch) == BATCH_SIZE:
            _insert(brokerage, batch)
            batch = []
            print(f"  seeded {number + 1}/{total}", end="\r", flush=True)
    _insert(brokerage, batch)
    if connection.vendor == "postgresql":
        # What autovacuum would have done by the time a real table got this big: planner
        # statistics, and the visibility map that lets a COUNT(*) use an index-only scan.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE properties_property")
    print(f"Seed: {total - existing} listings in {time.perf_counter() - started:.1f} s.")


def _insert(brokerage, listings):
    """Insert a batch; then, as the listing services do, decide and count the homes it shares
    (a few random addresses come out twice)."""
    from properties.models import Property
    from properties.services import home_duplicates_refresh

    Property.objects.bulk_create(listings)
    home_duplicates_refresh(
        brokerage_id=brokerage.pk, home_keys={listing.home_key for listing in listings}
    )


def detail_listing(brokerage, agent_user):
    """A listing made through the services, with a price and status history and photos."""
    from django.core.files.base import ContentFile

    from agents.demo import _house_photo, _house_style
    from properties.models import Property
    from properties.services import listing_create, listing_update, media_add

    listing = Property.objects.filter(brokerage=brokerage, listing_id="BENCH-DETAIL").first()
    if listing is not None:
        return listing
    listing = listing_create(
        actor=agent_user,
        data={
            "listing_id": "BENCH-DETAIL",
            "street_number": "12",
            "street_name": "Harbor View",
            "street_suffix": "Rd",
            "city": "Springfield",
            "state_or_province": "IL",
            "postal_code": "62701",
            "list_price": Decimal("485000.00"),
            "bedrooms_total": 4,
            "bathrooms_full": 2,
            "bathrooms_total_integer": 2,
            "living_area": 2300,
            "public_remarks": "Four bedrooms near the park.",
        },
    )
    listing = listing_update(
        listing=listing, data={"list_price": Decimal("469000.00")}, actor=agent_user
    )
    listing = listing_update(listing=listing, data={"standard_status": "Pending"}, actor=agent_user)
    rng = random.Random(7)
    style = _house_style(rng)
    for position in range(3):
        media_add(
            listing=listing,
            upload=ContentFile(_house_photo(rng, style), name=f"{position}.jpg"),
            actor=agent_user,
        )
    return listing


# --- Measuring --------------------------------------------------------------------------------


def install_baseline_view():
    """A view that answers "ok" for a signed-in user, behind the whole middleware stack."""
    from django.contrib.auth.decorators import login_required
    from django.http import HttpResponse
    from django.urls import clear_url_caches, path

    import realestate.urls

    @login_required
    def bench_ok(request):
        return HttpResponse("ok")

    realestate.urls.urlpatterns.insert(0, path("bench/ok/", bench_ok))
    clear_url_caches()


def query_count(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    return response.status_code, len(captured.captured_queries), captured.captured_queries


def measure(args):
    from django.test import Client

    from properties.views import PropertyListView

    brokerage, agents = seed_people()
    seed_listings(brokerage, agents, args.listings)
    agent = next(a for a in agents if a.user.username == "bench-agent1")
    detail = detail_listing(brokerage, agent.user)
    install_baseline_view()

    client = Client()
    client.force_login(agent.user)
    rng = random.Random(3)
    cities = [city[0] for city in CITIES]
    page_sizes = getattr(PropertyListView, "page_size_options", (25, 100))
    page_small, page_large = min(page_sizes), max(page_sizes)
    endpoints = {
        "baseline": lambda city: "/bench/ok/",
        "list page": lambda city: f"/listings/?status=Active&city={city}",
        "detail page": lambda city: f"/listings/{detail.pk}/",
        "API list": lambda city: f"/api/v1/properties/?status=Active&city={city}",
    }

    # Which endpoints exist right now (the pages are being built alongside this script).
    available, statuses = {}, {}
    for name, url in endpoints.items():
        status = client.get(url(cities[0])).status_code
        statuses[name] = status
        if status == 200:
            available[name] = url
        else:
            print(f"{name}: {url(cities[0])} answered {status}; not measured.")

    for _ in range(args.warmup):
        for url in available.values():
            client.get(url(rng.choice(cities)))

    timings = {name: [] for name in available}
    names = list(available)
    for iteration in range(args.requests):
        city = cities[iteration % len(cities)]
        # Rotate the order so no endpoint always follows another.
        shift = iteration % len(names)
        for name in names[shift:] + names[:shift]:
            url = available[name](city)
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                sys.exit(f"{name} answered {response.status_code} during the run")
            timings[name].append(elapsed)

    # Query counts at two page sizes: an N+1 would make them differ.
    city = cities[len(cities) // 2]
    queries = {}
    for name, size_small, size_large in (
        ("list page", page_small, page_large),
        ("API list", 25, 100),
    ):
        if name in available:
            base = available[name](city)
            queries[name] = (
                (size_small, query_count(client, f"{base}&page_size={size_small}")[1]),
                (size_large, query_count(client, f"{base}&page_size={size_large}")[1]),
            )
    for name in ("baseline", "detail page"):
        if name in available:
            count = query_count(client, available[name](city))[1]
            queries[name] = ((None, count), (None, count))

    report(args, timings, queries, statuses)
    if "list page" in available:
        explain(client, available["list page"](city))
    return timings


def report(args, timings, queries, statuses):
    from django.db import connection

    print()
    print(
        f"{args.listings} listings, {args.requests} requests per endpoint, "
        f"{connection.vendor}, one process (django.test.Client)"
    )
    baseline_p95 = percentile(timings["baseline"], 0.95) if "baseline" in timings else None
    header = f"{'endpoint':<12} {'p50 ms':>8} {'p95 ms':>8} {'p95/base':>9}  {'queries':<22} result"
    print(header)
    print("-" * len(header))
    failures = []
    for name in ("baseline", "list page", "detail page", "API list"):
        if name not in timings:
            print(f"{name:<12} {'not available (HTTP ' + str(statuses[name]) + ')'}")
            if name in ("list page", "API list"):
                failures.append(name)
            continue
        p50, p95 = percentile(timings[name], 0.5), percentile(timings[name], 0.95)
        ratio = p95 / baseline_p95 if baseline_p95 else float("nan")
        (small, small_count), (large, large_count) = queries.get(name, ((None, 0), (None, 0)))
        if small is None:
            query_text = f"{small_count}"
        else:
            query_text = f"{small_count} @{small} / {large_count} @{large}"
        verdict = ""
        if name in ("list page", "API list"):
            problems = []
            if p95 > TARGET_MS:
                problems.append(f"p95>{TARGET_MS:.0f}ms")
            if ratio > TARGET_RATIO:
                problems.append(f"p95>{TARGET_RATIO:.0f}x baseline")
            if small_count != large_count:
                problems.append("query count grows with page size")
            verdict = "PASS" if not problems else "FAIL (" + ", ".join(problems) + ")"
            if problems:
                failures.append(name)
        print(f"{name:<12} {p50:>8.1f} {p95:>8.1f} {ratio:>8.1f}x  {query_text:<22} {verdict}")
    print()
    print(
        f"Targets: list page and API list p95 <= {TARGET_RATIO:.0f}x baseline p95 and "
        f"<= {TARGET_MS:.0f} ms; the same number of queries at every page size."
    )
    print("Overall:", "PASS" if not failures else "FAIL: " + ", ".join(failures))


def explain(client, url):
    """The list page's queries, slowest first, with PostgreSQL's plan for the slowest."""
    from django.db import connection

    status, count, captured = query_count(client, url)
    print()
    print(f"Queries of {url} ({count}), slowest first:")
    ranked = sorted(captured, key=lambda q: float(q["time"]), reverse=True)
    for query in ranked[:5]:
        print(f"  {float(query['time']) * 1000:7.2f} ms  {query['sql'][:150]}")
    if connection.vendor != "postgresql":
        return
    for query in ranked[:2]:
        print()
        print(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql'][:300]}")
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            for (line,) in cursor.fetchall():
                print("   ", line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300, help="Per endpoint.")
    parser.add_argument("--warmup", type=int, default=30, help="Requests per endpoint first.")
    args = parser.parse_args()
    configure(args)

    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    measure(args)


if __name__ == "__main__":
    main()
