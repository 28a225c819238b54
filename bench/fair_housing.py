#!/usr/bin/env python
"""How fast the Fair Housing scanner reads a listing's remarks, and the nightly scan a feed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/fair_housing.py [--listings 100000]

Creates a database of its own on the server of ``DATABASE_URL`` (dropped at the end; the
built-in rules are made by its migrations), seeds one brokerage with N MLS-synced listings
whose public remarks read like real ones (a few hundred to about 1,500 characters, one in
fifty with a phrase the rules flag) and measures, in one process:

1. one listing's remarks through the compiled scanner, and through ``fair_housing_scan``
   (which also reads the rules' version: one small query); the baseline is the naive scan,
   every rule's own pattern searched in turn over the text;
2. ``fair_housing_nightly_scan()`` over all N listings, report rows written included; the
   baseline is the naive scan of the same remarks (a sample, extrapolated).

Prints the figures, the ratios to the baselines and PASS/FAIL against the targets; exits 1
on a FAIL. See bench/README.md.
"""

import argparse
import random
import re
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from environment import own_database, production_like  # noqa: E402 - bench/ is the script's folder

TARGET_ONE_MS = 1.0
TARGET_NIGHTLY_SECONDS = 30.0
ONE_LISTING_SAMPLE = 2000
BASELINE_SAMPLE = 2000
FLAGGED_SHARE = 0.02

SENTENCES = (
    "Welcome home to this beautifully updated {beds}-bedroom, {baths}-bath {kind} on a quiet, "
    "tree-lined street in {town}.",
    "The open floor plan flows from the sun-filled living room to a chef's kitchen with quartz "
    "counters, a large island, stainless steel appliances and a walk-in pantry.",
    "The spacious master bedroom has a spa-like en-suite bath and two walk-in closets.",
    "A large family room with a gas fireplace opens onto the deck and the fenced backyard.",
    "Hardwood floors throughout the main level, new carpet upstairs and fresh paint inside.",
    "Finished basement with a rec room, a home office, a guest bedroom and plenty of storage.",
    "Walking distance to shops, restaurants, the farmers market and the river trail.",
    "Minutes to downtown, the highway and the commuter train; jogging trails nearby.",
    "Mature trees, a garden shed and a two-car garage with an EV charger.",
    "Roof replaced in {year}, new furnace and water heater, energy-efficient windows.",
    "Mother-in-law suite over the garage with its own entrance and kitchenette.",
    "Non-smoking building with an elevator, a fitness room, a rooftop terrace and a pool.",
    "Wheelchair ramp at the side entry and a first-floor bedroom with an accessible bath.",
    "Great schools, parks and playgrounds close by; the library is two blocks away.",
    "Kosher bakery and St. Mary's church around the corner; the farmers market on Saturdays.",
    "Quiet cul-de-sac location with a private backyard that backs onto the nature preserve.",
    "Low HOA fees include snow removal, landscaping and the clubhouse.",
    "Seller is offering a one-year home warranty. Showings start Saturday.",
    "Bring your ideas: this solid brick home has great bones and a flexible floor plan.",
    "Sunroom with skylights, a screened porch and a patio made for summer evenings.",
)
FLAGGED_SENTENCES = (
    "Adults only, perfect for a couple.",
    "No children or pets please.",
    "Christian home in a quiet neighborhood.",
    "Ideal for a single professional or empty nesters.",
    "English speaking tenants only.",
    "Must be able to climb stairs; no wheelchairs.",
    "Female only, no men.",
)
TOWNS = ("Springfield", "Bristol", "Franklin", "Clinton", "Georgetown", "Salem", "Madison")
KINDS = ("colonial", "ranch", "craftsman", "townhome", "condo", "cape cod", "bungalow")


def configure():
    production_like("bench-fair-housing")
    import django

    django.setup()


def remarks(rng):
    """Public remarks like an MLS's: several sentences, now and then a flagged one."""
    count = rng.randint(4, 12)
    sentences = rng.sample(SENTENCES, count)
    if rng.random() < FLAGGED_SHARE:
        sentences.insert(rng.randint(0, count), rng.choice(FLAGGED_SENTENCES))
    return " ".join(sentences).format(
        beds=rng.randint(2, 5),
        baths=rng.randint(1, 4),
        kind=rng.choice(KINDS),
        town=rng.choice(TOWNS),
        year=rng.randint(2015, 2025),
    )


def seed_listings(total):
    """One brokerage with ``total`` MLS-synced listings, inserted with the sync's writer."""
    from django.utils import timezone
    from web import seed_people

    from mls.models import MLSProvider
    from mls.services import provider_save
    from mls.writes import rows_insert
    from properties.choices import ListingSource
    from properties.models import Property

    brokerage, agents = seed_people()
    provider = provider_save(
        provider=MLSProvider(
            brokerage=brokerage, name="Bench MLS", endpoint="https://mls.example/odata"
        )
    )
    rng = random.Random(23)
    now = timezone.now()
    fields = [field for field in Property._meta.concrete_fields if not field.primary_key]
    names = [field.attname for field in fields]
    for start in range(0, total, 10_000):
        batch = []
        for number in range(start, min(total, start + 10_000)):
            agent = rng.choice(agents)
            listing = Property(
                brokerage=brokerage,
                source=ListingSource.MLS,
                mls_provider=provider,
                listing_key=f"fh-{number:07d}",
                listing_id=f"{7_000_000 + number}",
                standard_status="Active",
                street_number=str(rng.randint(1, 9999)),
                street_name="Maple",
                street_suffix="Ave",
                city=rng.choice(TOWNS),
                state_or_province="IL",
                postal_code="62701",
                list_price=Decimal(rng.randrange(150_000, 900_000, 1000)),
                public_remarks=remarks(rng),
                list_agent=agent,
                list_office=agent.office,
                modification_timestamp=now - timedelta(minutes=number),
                created_at=now,
                updated_at=now,
            )
            batch.append(tuple(getattr(listing, name) for name in names))
        rows_insert(Property, names, batch)
        print(f"  listings {start + len(batch):,}/{total:,}", end="\r", flush=True)
    print()
    return brokerage


def analyze():
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


class NaiveScanner:
    """The baseline: every active rule's own pattern, searched in turn over the text."""

    def __init__(self, rules):
        from compliance.phrases import END, START, phrase_pattern

        self.patterns = [
            (rule, re.compile(f"{START}{phrase_pattern(rule.phrase)}{END}", re.IGNORECASE))
            for rule in rules
        ]

    def scan(self, text):
        found = []
        for rule, pattern in self.patterns:
            found += [(match.start(), match.end(), rule.pk) for match in pattern.finditer(text)]
        return sorted(found)


def per_text_ms(scan, texts, rounds=3):
    """The median over ``rounds`` of the mean time per text, and the 99th percentile (ms)."""
    means, singles = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        for text in texts:
            scan(text)
        means.append((time.perf_counter() - started) * 1000 / len(texts))
    for text in texts:
        started = time.perf_counter()
        scan(text)
        singles.append((time.perf_counter() - started) * 1000)
    singles.sort()
    return statistics.median(means), singles[int(len(singles) * 0.99) - 1]


def check(text, ok):
    print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    return ok


def measure(args):
    from compliance.models import FairHousingRule, FairHousingScanListing
    from compliance.services.fair_housing import (
        _rules_of,
        fair_housing_nightly_scan,
        fair_housing_scan,
        fair_housing_scanner,
    )
    from properties.models import Property

    started = time.perf_counter()
    brokerage = seed_listings(args.listings)
    analyze()
    print(
        f"Seed: {args.listings:,} MLS listings in {time.perf_counter() - started:.0f} s; "
        f"{FairHousingRule.objects.filter(brokerage=None).count()} built-in rules."
    )
    sample = list(
        Property.objects.filter(brokerage=brokerage)
        .order_by("?")
        .values_list("public_remarks", flat=True)[:ONE_LISTING_SAMPLE]
    )
    lengths = sorted(len(text) for text in sample)
    print(
        f"Remarks: median {lengths[len(lengths) // 2]:,} characters, "
        f"longest {lengths[-1]:,} (a sample of {len(sample):,})"
    )
    results = []

    scanner = fair_housing_scanner(brokerage=brokerage)
    naive = NaiveScanner(list(_rules_of(brokerage.pk)))
    mismatched = [
        text for text in sample if _spans(scanner.scan(text)) != _naive_spans(naive, text)
    ]
    print(f"The compiled and the naive scans agree on {len(sample) - len(mismatched):,} texts.")
    one_ms, one_p99 = per_text_ms(scanner.scan, sample)
    service_ms, service_p99 = per_text_ms(
        lambda text: fair_housing_scan(text=text, brokerage=brokerage), sample
    )
    version_ms, _ = per_text_ms(lambda text: fair_housing_scanner(brokerage=brokerage), sample)
    naive_ms, naive_p99 = per_text_ms(naive.scan, sample)
    print(f"\nOne listing's remarks ({len(naive.patterns)} rules):")
    print(f"  compiled scanner        {one_ms:.3f} ms a listing (p99 {one_p99:.3f} ms)")
    print(
        f"  fair_housing_scan       {service_ms:.3f} ms (p99 {service_p99:.3f} ms), "
        f"with the rules' version query ({version_ms:.3f} ms of it: a database round trip)"
    )
    print(
        f"  baseline, rule by rule  {naive_ms:.3f} ms (p99 {naive_p99:.3f} ms) "
        f"= {naive_ms / one_ms:.1f}x the compiled scanner"
    )
    results.append(
        check(f"one listing's scan < {TARGET_ONE_MS:g} ms (p99 {one_p99:.3f} ms)", one_p99 < 1)
    )
    results.append(check("the compiled scan finds what the naive one finds", not mismatched))

    started = time.perf_counter()
    runs = fair_housing_nightly_scan()
    seconds = time.perf_counter() - started
    run = runs[0]
    baseline = naive_ms * run.listings_scanned / 1000
    print(
        f"\nNightly scan: {seconds:.1f} s for {run.listings_scanned:,} listings "
        f"({run.listings_scanned / seconds:,.0f} a second): {run.listings_flagged:,} flagged, "
        f"{run.findings_total:,} findings, {FairHousingScanListing.objects.count():,} report rows"
    )
    print(
        f"  baseline, the naive scan of the same remarks alone: {baseline:.1f} s (extrapolated) "
        f"= {baseline / seconds:.1f}x the whole nightly scan"
    )
    print(f"  findings by class: {run.class_counts}")
    results.append(
        check(
            f"nightly scan of {args.listings:,} listings <= {TARGET_NIGHTLY_SECONDS:g} s "
            f"({seconds:.1f} s)",
            seconds <= TARGET_NIGHTLY_SECONDS,
        )
    )
    expected_share = run.listings_flagged / run.listings_scanned
    print(f"  flagged share {expected_share:.2%} (about {FLAGGED_SHARE:.0%} were seeded flagged)")
    return results


def _spans(findings):
    return sorted((finding.start, finding.end, finding.rule_id) for finding in findings)


def _naive_spans(naive, text):
    """The naive scan's matches, kept as the compiled scan keeps them (no overlaps, longest)."""
    kept, last_end = [], -1
    for start, end, rule_id in sorted(naive.scan(text), key=lambda m: (m[0], -(m[1] - m[0]))):
        if start >= last_end:
            kept.append((start, end, rule_id))
            last_end = end
    return sorted(kept)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    args = parser.parse_args()
    configure()
    with own_database("crm_fair_housing_bench", keep=args.keep):
        results = measure(args)
    print("\nOverall:", "PASS" if all(results) else "FAIL")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
