#!/usr/bin/env python
"""How fast the MLS sync applies a big feed, and how much memory it takes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/mls_sync.py [--listings 100000] [--page-size 1000]

Creates a database of its own on the server of ``DATABASE_URL`` (dropped at the end), serves
the demo MLS from a second process over real HTTP, and measures, in one run:

1. a full sync of the whole feed through ``provider_sync`` (records/s end to end, peak memory
   of the syncing process);
2. a re-sync of the unchanged feed (records/s, and the listing rows it wrote: none);
3. the database write stage alone, side by side on the same rows: the sync's own writer
   against Django's ``bulk_create(update_conflicts=True)``, inserting and then updating.

Prints PASS/FAIL against the targets and exits non-zero on a FAIL. See bench/README.md.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from environment import own_database, production_like  # noqa: E402 - bench/ is the script's folder

FEED = "bench"
# Two years after the demo feed's epoch every listing it will ever hold has been entered.
FEED_NOW = datetime(2028, 1, 3, tzinfo=UTC)
TARGET_FULL = 5000  # listings/s
TARGET_UNCHANGED = 20000  # listings/s
TARGET_WRITE_RATIO = 3.0
TARGET_MEMORY_MB = 300


def configure(feed_size):
    """Settings as production runs them, with the demo feed sized for the bench."""
    production_like("bench-mls")
    import django
    from django.conf import settings

    django.setup()
    settings.MLS_DEMO_NOW = FEED_NOW
    settings.MLS_DEMO_FEEDS = {FEED: {"seed": 7, "size": feed_size, "page_size": 1000}}


def feed_size_for(listings):
    """How many listings the demo feed must generate to hold ``listings`` at FEED_NOW.

    A few of those it generates are deleted by then.
    """
    from mls.demo.feed import DemoFeed

    size = listings
    while (held := DemoFeed(name=FEED, seed=7, size=size, now=FEED_NOW).count()) < listings:
        size += max(1, (listings - held) * size // max(held, 1))
    return size


# ---------------------------------------------------------------------------------------------
# The demo MLS, served by a second process


def serve(feed_size, port=0):
    """Serve the product (and so the demo MLS) on ``port`` (0: a free one); print it, serve."""
    configure(feed_size)
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format, *args):
            pass

    httpd = ThreadedWSGIServer(("127.0.0.1", port), QuietHandler)
    httpd.set_app(get_wsgi_application())
    sys.stdout.write(f"{httpd.server_address[1]}\n")
    sys.stdout.flush()
    httpd.serve_forever()


def start_server(feed_size, port=0):
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--feed-size", str(feed_size), "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    port = int(server.stdout.readline())
    endpoint = f"http://127.0.0.1:{port}/mls/demo/{FEED}/odata"
    # The demo feed indexes its listings on the first request: not part of any sync.
    with urllib.request.urlopen(f"{endpoint}/Property?$top=1", timeout=120) as answer:
        answer.read()
    return server, endpoint


# ---------------------------------------------------------------------------------------------
# The sync, in a process of its own so that its peak memory is its own


def sync(endpoint, page_size, kind):
    """Run one sync in this process; print its figures as JSON."""
    from mls.models import MLSProvider
    from mls.services import provider_sync

    provider = MLSProvider.objects.get(endpoint=endpoint)
    provider.page_size = page_size
    provider.save(update_fields=["page_size"])
    before = listing_row_versions()
    started = time.perf_counter()
    run = provider_sync(provider=provider, kind=kind)
    seconds = time.perf_counter() - started
    figures = {
        "state": run.state,
        "message": run.message,
        "fetched": run.fetched,
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "failed": run.failed,
        "seconds": seconds,
        "listing_writes": listing_row_versions() - before,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    sys.stdout.write(json.dumps(figures) + "\n")


LISTING_TABLES = (
    "properties_property",
    "properties_propertymedia",
    "properties_pricechange",
    "properties_statuschange",
)


def listing_row_versions():
    """Rows ever inserted, updated or deleted in the listing tables (PostgreSQL's statistics)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) "
            "FROM pg_stat_user_tables WHERE relname = ANY(%s)",
            [list(LISTING_TABLES)],
        )
        return int(cursor.fetchone()[0])


def run_sync(database_url, endpoint, page_size, kind):
    child = subprocess.run(
        [
            sys.executable,
            __file__,
            "--sync",
            kind,
            "--endpoint",
            endpoint,
            "--page-size",
            str(page_size),
        ],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode:
        raise SystemExit(f"the sync process failed:\n{child.stderr}")
    return json.loads(child.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sync", help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--feed-size", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.feed_size, args.port)
    configure(args.feed_size)
    if args.sync:
        return sync(args.endpoint, args.page_size, args.sync)

    with own_database("crm_mls_bench") as test_name:
        database_url = _database_url(test_name)
        feed_size = feed_size_for(args.listings)
        configure(feed_size)
        server, endpoint = start_server(feed_size)
        try:
            results = measure(args, database_url, endpoint)
        finally:
            server.terminate()
            server.wait()
    return 0 if all(ok for _, ok in results) else 1


def _database_url(name):
    from django.db import connection

    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    host = config["HOST"] or "127.0.0.1"
    user = config["USER"] or "postgres"
    return f"postgres://{user}@{host}:{config['PORT'] or 5432}/{name}"


def measure(args, database_url, endpoint):
    from agents.services.people import brokerage_create
    from mls.choices import ProviderKind, RunKind
    from mls.models import MLSProvider
    from mls.providers import provider_for
    from mls.services import provider_save

    brokerage = brokerage_create(name="Bench Realty", slug="bench-realty")
    provider = provider_save(
        provider=MLSProvider(
            brokerage=brokerage,
            name="Bench MLS",
            kind=ProviderKind.RESO_WEB_API,
            endpoint=endpoint,
            page_size=args.page_size,
            max_requests_per_second=1000,
            allow_private_network=True,
        )
    )
    results = []
    # The demo MLS makes each page on the first request and keeps it for the minute; one read
    # of the feed beforehand leaves the sync, not the demo's generator, to be measured.
    started = time.perf_counter()
    feed = provider_for(provider)
    served = sum(len(page.records) for page in feed.pages(since=None, cursor=None))
    feed.close()
    seconds = time.perf_counter() - started
    sys.stdout.write(
        f"demo MLS, first read of the feed: {served:,} records in {seconds:.1f} s "
        f"= {served / seconds:,.0f}/s (made on request; the sync reads them again)\n"
    )
    full = run_sync(database_url, endpoint, args.page_size, RunKind.FULL)
    rate = full["fetched"] / full["seconds"]
    _report("full sync", full, rate)
    results.append(("full sync", _check(f"≥ {TARGET_FULL:,} listings/s", rate >= TARGET_FULL)))
    results.append(
        (
            "memory",
            _check(
                f"full sync peak memory {full['peak_rss_mb']:.0f} MB < {TARGET_MEMORY_MB} MB",
                full["peak_rss_mb"] < TARGET_MEMORY_MB,
            ),
        )
    )
    # An unchanged feed is read again at the next interval, after autovacuum has been through
    # what the full sync wrote: measured then, not while a vacuum of it would be running.
    settle()
    again = run_sync(database_url, endpoint, args.page_size, RunKind.FULL)
    rate = again["fetched"] / again["seconds"]
    _report("unchanged re-sync", again, rate)
    results.append(
        (
            "re-sync",
            _check(
                f"≥ {TARGET_UNCHANGED:,} listings/s, no listing written",
                rate >= TARGET_UNCHANGED and again["listing_writes"] == 0,
            ),
        )
    )
    settle()
    results.append(("write stage", write_stage(brokerage, args.page_size)))
    return results


def settle():
    """Vacuum and analyze what the syncs wrote, as autovacuum soon would.

    The re-sync and the write stage come after it: an autovacuum of the hundred thousand new
    rows (and the first reads of them, which set their hint bits) running in the middle of
    them would be measured instead of the sync and the two writers.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in (*LISTING_TABLES, "agents_event"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")


WRITE_STAGE_PAGES = 10


def write_stage(brokerage, page_size):
    """The sync's writer against ``bulk_create(update_conflicts=True)``, on the same rows.

    Each writes the same pages of listings (built as the sync builds them) to a feed of its
    own: first as new listings, then again as changed ones. Timed page by page, alternating.
    """
    from django.db import transaction
    from django.utils import timezone

    from mls.demo.feed import demo_feed_for
    from mls.models import MLSProvider
    from mls.normalize import read_record
    from mls.services import LISTING_UPDATE_FIELDS, _listing_row
    from mls.writes import listings_write
    from properties.models import Property

    feed = demo_feed_for(FEED)
    pages = [
        [read_record(record) for record in feed.page(skip=n * page_size, top=page_size).records]
        for n in range(WRITE_STAGE_PAGES)
    ]
    ours, django = (
        MLSProvider.objects.create(brokerage=brokerage, name=name, endpoint=f"https://{name}.test")
        for name in ("writer-ours", "writer-django")
    )
    timings = {"ours": 0.0, "bulk_create": 0.0}
    by_round = {}
    rows_written = 0
    for round_ in ("insert", "update"):
        for listings in pages:
            listings = [listing for listing in listings if not listing.deleted]
            if round_ == "update":
                for listing in listings:
                    listing.values["list_price"] += 1000
                    listing.values["modification_timestamp"] += timedelta(minutes=1)
                    listing.content_hash = listing.content_hash[::-1]
            now = timezone.now()
            for name, provider in (("ours", ours), ("bulk_create", django)):
                rows = [_listing_row(provider, listing, now) for listing in listings]
                with transaction.atomic():
                    started = time.perf_counter()
                    if name == "ours":
                        rows = (
                            {"new": rows, "changed": []}
                            if round_ == "insert"
                            else {
                                "new": [],
                                "changed": rows,
                            }
                        )
                        listings_write(**rows, update_fields=LISTING_UPDATE_FIELDS)
                    else:
                        Property.objects.bulk_create(
                            rows,
                            update_conflicts=True,
                            unique_fields=["mls_provider", "listing_key"],
                            update_fields=LISTING_UPDATE_FIELDS,
                        )
                    elapsed = time.perf_counter() - started
                    timings[name] += elapsed
                    by_round[round_, name] = by_round.get((round_, name), 0.0) + elapsed
            rows_written += len(listings)
    for name, seconds in timings.items():
        sys.stdout.write(
            f"write stage, {name}: {rows_written:,} rows (inserted, then updated) in "
            f"{seconds:.2f} s = {rows_written / seconds:,.0f} rows/s (insert "
            f"{by_round['insert', name]:.2f} s, update {by_round['update', name]:.2f} s)\n"
        )
    if not rows_written:
        return _check("the write stage wrote no rows", False)
    ratio = timings["bulk_create"] / timings["ours"]
    return _check(
        f"the sync's writer is {ratio:.1f}× bulk_create(update_conflicts=True) "
        f"(target ≥ {TARGET_WRITE_RATIO:g}×)",
        ratio >= TARGET_WRITE_RATIO,
    )


def _report(label, figures, rate):
    sys.stdout.write(
        f"{label}: {figures['fetched']:,} records in {figures['seconds']:.1f} s = {rate:,.0f}/s "
        f"(created {figures['created']:,}, updated {figures['updated']:,}, "
        f"unchanged {figures['unchanged']:,}, failed {figures['failed']:,}; "
        f"{figures['listing_writes']} listing writes; peak {figures['peak_rss_mb']:.0f} MB; "
        f"{figures['state']} {figures['message']})\n"
    )


def _check(text, ok):
    sys.stdout.write(f"  {'PASS' if ok else 'FAIL'}  {text}\n")
    return ok


if __name__ == "__main__":
    sys.exit(main())
