"""Reads of the MLS feeds: providers with their latest run, schedules, errors and statistics."""

from datetime import timedelta

from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from mls.choices import RunState
from mls.models import MLSProvider, SyncError, SyncRun
from properties.models import Property
from realestate.permissions import restrict

ACTIVE_STATES = (RunState.QUEUED, RunState.RUNNING)
RECENT_ERRORS = 5
STATS_WINDOW = timedelta(hours=24)


def _latest_run_prefetch():
    """Each provider's newest run, in one query for every provider of a page."""
    newest = SyncRun.objects.filter(provider=OuterRef("provider")).order_by("-queued_at", "-pk")
    return Prefetch(
        "runs",
        queryset=SyncRun.objects.filter(pk=Subquery(newest.values("pk")[:1])),
        to_attr="latest_runs",
    )


def provider_cards():
    """Providers with what a card or the API shows: latest run, schedule and listing count."""
    listings = (
        Property.objects.filter(mls_provider=OuterRef("pk"), feed_removed_at__isnull=True)
        .order_by()
        .values("mls_provider")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        MLSProvider.objects.select_related("periodic_task__interval")
        .annotate(listings_count=Subquery(listings))
        .prefetch_related(_latest_run_prefetch())
    )


def provider_latest_run(provider):
    """The provider's newest run, or ``None``; read from the prefetch when there is one."""
    if hasattr(provider, "latest_runs"):
        return provider.latest_runs[0] if provider.latest_runs else None
    return provider.runs.order_by("-queued_at", "-pk").first()


def provider_is_active(provider):
    """Whether the provider has a run queued or running (its newest one)."""
    run = provider_latest_run(provider)
    return run is not None and run.state in ACTIVE_STATES


def provider_next_run_at(provider):
    """When celery-beat next starts the provider's scheduled sync; ``None`` when it will not."""
    task = provider.periodic_task
    if not provider.enabled or task is None or not task.enabled or task.interval is None:
        return None
    every = timedelta(**{task.interval.period: task.interval.every})
    if task.last_run_at is None:
        return timezone.now()
    return task.last_run_at + every


def provider_runs(*, provider):
    """A provider's runs, newest first."""
    return provider.runs.order_by("-queued_at", "-pk")


def provider_active_runs(*, provider):
    """A provider's runs that are queued or running."""
    return provider.runs.filter(state__in=ACTIVE_STATES).order_by("queued_at", "pk")


def provider_errors(*, provider):
    """The records a provider's runs could not apply, newest first."""
    return SyncError.objects.filter(run__provider=provider).order_by("-created_at", "-pk")


def provider_recent_errors_attach(providers, limit=RECENT_ERRORS):
    """Set ``recent_errors`` (the newest ``limit`` errors) on each provider, in one query."""
    providers = list(providers)
    by_provider = {provider.pk: [] for provider in providers}
    if by_provider:
        rows = (
            SyncError.objects.filter(run__provider__in=list(by_provider))
            .annotate(
                provider_id=F("run__provider_id"),
                position=Window(
                    RowNumber(),
                    partition_by=[F("run__provider_id")],
                    order_by=[F("created_at").desc(), F("pk").desc()],
                ),
            )
            .filter(position__lte=limit)
            .order_by("-created_at", "-pk")
        )
        for error in rows:
            by_provider[error.provider_id].append(error)
    for provider in providers:
        provider.recent_errors = by_provider[provider.pk]
    return providers


def mls_stats(*, user, now=None):
    """Figures over the feeds ``user`` may see: providers, MLS listings, the last day's runs."""
    now = now or timezone.now()
    providers = restrict(MLSProvider.objects.all(), user)
    counts = providers.aggregate(providers=Count("pk"), enabled=Count("pk", filter=Q(enabled=True)))
    listings = Property.objects.filter(mls_provider__in=providers.values("pk")).aggregate(
        current=Count("pk", filter=Q(feed_removed_at__isnull=True)),
        removed=Count("pk", filter=Q(feed_removed_at__isnull=False)),
    )
    runs = restrict(SyncRun.objects.all(), user).filter(queued_at__gte=now - STATS_WINDOW)
    by_state = {state.value: 0 for state in RunState}
    fetched = created = updated = 0
    timed_records, timed_seconds = 0, 0.0
    for run in runs.values(
        "state", "fetched", "created", "updated", "started_at", "finished_at"
    ).order_by():
        by_state[run["state"]] += 1
        fetched += run["fetched"]
        created += run["created"]
        updated += run["updated"]
        if run["started_at"] and run["finished_at"]:
            timed_records += run["fetched"]
            timed_seconds += (run["finished_at"] - run["started_at"]).total_seconds()
    return {
        "providers": counts["providers"],
        "enabled_providers": counts["enabled"],
        "mls_listings": listings["current"],
        "mls_listings_off_market": listings["removed"],
        "since": now - STATS_WINDOW,
        "runs_last_24h": by_state,
        "runs_last_24h_total": sum(by_state.values()),
        "fetched_last_24h": fetched,
        "created_last_24h": created,
        "updated_last_24h": updated,
        "average_throughput": (
            round(timed_records / timed_seconds, 1) if timed_seconds > 0 else None
        ),
    }
