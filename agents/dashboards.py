"""Reads of the agent's performance section and the broker's dashboard, and their CSV lines.

Every figure is worked out by a fixed number of grouped queries, whatever the number of
listings, deals, agents or clients: a dashboard never costs a query per row.
"""

import csv
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, F, Prefetch, Q, Sum
from django.urls import reverse
from django.utils import timezone

from clients.choices import Stage
from clients.imports import _Line, _safe_cell
from properties.choices import ON_MARKET_STATUSES
from realestate.permissions import VIEW, actor_for, restrict
from transactions.choices import OPEN_DEAL_STAGES, DealStage
from transactions.services.commissions import Production, agent_production, deal_split

ZERO = Decimal("0.00")
# A licence this close to its expiry is flagged on the broker's dashboard.
LICENCE_WARNING_DAYS = 60


# ---------- pipeline value ----------


@dataclass
class PipelineStage:
    """Deals of one stage: how many, their expected gross commission, and how many have no
    offer price or commission terms yet (counted, not valued)."""

    stage: str
    label: str
    count: int = 0
    value: Decimal = ZERO
    unpriced: int = 0


@dataclass
class Pipeline:
    """Deals by stage, with their totals."""

    stages: list

    @property
    def count(self):
        return sum(row.count for row in self.stages)

    @property
    def value(self):
        return sum((row.value for row in self.stages), ZERO)

    @property
    def unpriced(self):
        return sum(row.unpriced for row in self.stages)


def _deal_gross(deal, agent):
    """The deal's gross commission at its offer price (the agent's part of it, for an agent);
    None without an offer price or commission terms."""
    if deal.offer_price is None:
        return None
    try:
        split = deal_split(deal=deal, price=deal.offer_price, shares=deal.commission_shares.all())
    except (TypeError, ValueError):
        return None
    if agent is None:
        return split.gross
    part = split.part_for(agent)
    return part.amount if part else ZERO


def deal_pipeline(*, deals, agent=None, stages=OPEN_DEAL_STAGES):
    """Count and expected gross commission of ``deals`` (already visible) per stage.

    With ``agent``, each deal is valued at that agent's part of the commission.
    """
    from transactions.models import CommissionShare

    rows = {stage: PipelineStage(stage=stage, label=DealStage(stage).label) for stage in stages}
    deals = (
        deals.filter(stage__in=stages)
        .select_related("agent__user")
        .prefetch_related(
            Prefetch(
                "commission_shares",
                queryset=CommissionShare.objects.select_related("agent__user"),
            )
        )
        .order_by()
    )
    for deal in deals:
        row = rows[deal.stage]
        row.count += 1
        gross = _deal_gross(deal, agent)
        if gross is None:
            row.unpriced += 1
        else:
            row.value += gross
    return Pipeline(stages=list(rows.values()))


def agent_pipeline(*, user):
    """The signed-in agent's open deals (their own and those they co-work) by stage, each
    valued at the agent's part of the expected gross commission."""
    from transactions.models import Transaction

    agent = actor_for(user).agent
    if agent is None:
        return Pipeline(stages=[])
    deals = restrict(Transaction.objects.all(), user, VIEW).filter(
        Q(agent=agent) | Q(co_agents=agent) | Q(commission_shares__agent=agent)
    )
    return deal_pipeline(deals=Transaction.objects.filter(pk__in=deals.values("pk")), agent=agent)


# ---------- the agent's listings performance ----------


@dataclass
class ListingPerformance:
    """One of the agent's listings on the market and the interest it drew."""

    listing: object
    days_on_market: int | None
    views: int = 0
    inquiries: int = 0
    showings: int = 0
    offers: int = 0
    open_offers: int = 0


def _counts(queryset, key, aggregate):
    return dict(queryset.order_by().values_list(key).annotate(n=aggregate).values_list(key, "n"))


def listings_performance(*, user):
    """Each of the agent's listings on the market: days on market, page views, inquiries,
    showings and offers (five queries in all)."""
    from clients.choices import ShowingStatus
    from clients.models import Activity, Showing
    from properties.models import ListingViewDay
    from properties.selectors import property_list
    from transactions.models import Transaction

    listings = list(
        property_list(user=user)
        .filter(
            list_agent__user=user,
            archived_at__isnull=True,
            standard_status__in=ON_MARKET_STATUSES,
        )
        # Longest on the market first.
        .order_by(F("on_market_date").asc(nulls_last=True), "pk")
    )
    ids = [listing.pk for listing in listings]
    if not ids:
        return []
    views = _counts(ListingViewDay.objects.filter(listing_id__in=ids), "listing_id", Sum("count"))
    # An inquiry is a person who asked about the listing through a lead form or a provider.
    inquiries = _counts(
        Activity.objects.filter(listing_id__in=ids, details__intake=True),
        "listing_id",
        Count("client", distinct=True),
    )
    showings = _counts(
        Showing.objects.filter(listing_id__in=ids).exclude(status=ShowingStatus.CANCELLED),
        "listing_id",
        Count("pk"),
    )
    offers, open_offers = {}, {}
    for listing_id, stage, count in (
        Transaction.objects.filter(property_id__in=ids)
        .order_by()
        .values_list("property_id", "stage")
        .annotate(n=Count("pk"))
    ):
        offers[listing_id] = offers.get(listing_id, 0) + count
        if stage in OPEN_DEAL_STAGES:
            open_offers[listing_id] = open_offers.get(listing_id, 0) + count
    return [
        ListingPerformance(
            listing=listing,
            days_on_market=listing.current_days_on_market,
            views=views.get(listing.pk, 0),
            inquiries=inquiries.get(listing.pk, 0),
            showings=showings.get(listing.pk, 0),
            offers=offers.get(listing.pk, 0),
            open_offers=open_offers.get(listing.pk, 0),
        )
        for listing in listings
    ]


# ---------- the broker's dashboard ----------


@dataclass
class OfficeProduction:
    """The closed business of one office's agents in a year."""

    name: str
    agents: int = 0
    totals: Production = field(default_factory=Production)


def office_production(*, report):
    """The production report's agents added up by their office (one query)."""
    from agents.models import Agent

    offices = dict(
        Agent.objects.filter(pk__in=[row.agent.pk for row in report.rows]).values_list(
            "pk", "office__name"
        )
    )
    by_office = {}
    for row in report.rows:
        name = offices.get(row.agent.pk) or "No office"
        office = by_office.setdefault(name, OfficeProduction(name=name))
        office.agents += 1
        office.totals.add(row.totals)
    return sorted(by_office.values(), key=lambda office: (-office.totals.volume, office.name))


# The client stages a lead goes through, in order; qualified sits between contacted and active.
FUNNEL_STAGES = (
    Stage.NEW,
    Stage.CONTACTED,
    Stage.QUALIFIED,
    Stage.ACTIVE,
    Stage.UNDER_CONTRACT,
    Stage.CLOSED,
)


@dataclass
class FunnelRow:
    """The clients of one lead source and how many reached each stage of the funnel."""

    source: str
    reached: list
    lost: int

    @property
    def total(self):
        return self.reached[0]

    @property
    def conversion(self):
        """Share of the source's clients who closed, in percent (None without clients)."""
        return round(self.reached[-1] * 100 / self.total) if self.total else None


def lead_funnel(*, user):
    """Clients by lead source: how many reached each stage (one query).

    A client at a stage has passed every stage before it; a lost client is counted as having
    been a lead only, since the stage they were lost at is not kept.
    """
    from clients.models import Client

    order = {stage: index for index, stage in enumerate(FUNNEL_STAGES)}
    rows = {}
    for source, stage, count in (
        restrict(Client.objects.all(), user, VIEW)
        .order_by()
        .values_list("source__name", "stage")
        .annotate(n=Count("pk"))
    ):
        name = source or "No source"
        row = rows.setdefault(
            name, FunnelRow(source=name, reached=[0] * len(FUNNEL_STAGES), lost=0)
        )
        if stage in order:
            for index in range(order[stage] + 1):
                row.reached[index] += count
        else:
            row.lost += count
            row.reached[0] += count
    return sorted(rows.values(), key=lambda row: (-row.total, row.source))


@dataclass(frozen=True)
class ComplianceFlag:
    """A count of compliance matters waiting for the broker, with the page that lists them."""

    key: str
    label: str
    count: int
    url: str


def compliance_flags(*, user, today=None):
    """Lapsed and expiring licences, the listings the last finished Fair Housing scan flagged,
    documents waiting for review and clients due for anonymising under the retention policy
    (six queries)."""
    from compliance.models.fair_housing import ScanState
    from compliance.models.licences import Licence, LicenceStatus
    from compliance.selectors.fair_housing import fair_housing_runs_for
    from compliance.services.retention import (
        retention_candidates,
        retention_cutoff,
        retention_policy_for,
    )
    from transactions.selectors import review_queue

    today = today or timezone.localdate()
    lapsed = Q(expires_on__lt=today) | ~Q(status=LicenceStatus.ACTIVE)
    soon = Q(expires_on__lte=today + timedelta(days=LICENCE_WARNING_DAYS)) & ~lapsed
    licences = restrict(Licence.objects.all(), user, VIEW).aggregate(
        lapsed=Count("pk", filter=lapsed), soon=Count("pk", filter=soon)
    )
    licence_list = reverse("compliance:licence-list")
    flags = [
        ComplianceFlag(
            "licences_lapsed",
            "Lapsed licences",
            licences["lapsed"],
            f"{licence_list}?expiry=lapsed",
        ),
        ComplianceFlag(
            "licences_expiring",
            f"Licences expiring within {LICENCE_WARNING_DAYS} days",
            licences["soon"],
            f"{licence_list}?expiry={LICENCE_WARNING_DAYS}",
        ),
    ]
    last_scan = fair_housing_runs_for(user=user).filter(state=ScanState.SUCCEEDED).first()
    flags.append(
        ComplianceFlag(
            "fair_housing",
            "Listings flagged by the last Fair Housing scan",
            last_scan.listings_flagged if last_scan else 0,
            reverse("compliance:fair-housing-run", args=[last_scan.pk])
            if last_scan
            else reverse("compliance:fair-housing-runs"),
        )
    )
    flags.append(
        ComplianceFlag(
            "documents",
            "Documents waiting for review",
            review_queue(user=user).count(),
            reverse("transactions:review-queue"),
        )
    )
    brokerage_id = actor_for(user).brokerage_id
    policy = retention_policy_for(brokerage_id=brokerage_id)
    due = 0
    if policy.enabled:
        cutoff = retention_cutoff(period_months=policy.period_months)
        due = retention_candidates(brokerage_id=brokerage_id, cutoff=cutoff).count()
    flags.append(
        ComplianceFlag(
            "retention", "Clients due for anonymising", due, reverse("compliance:retention")
        )
    )
    return flags


@dataclass
class BrokerageDashboard:
    """Every table of the broker's dashboard for a year."""

    year: int
    production: object
    offices: list
    funnel: list
    pipeline: Pipeline
    flags: list


def brokerage_dashboard(*, user, year):
    """Everything the broker's dashboard shows for the broker's own brokerage and a year."""
    from transactions.models import Transaction

    production = agent_production(year=year, brokerage=actor_for(user).brokerage)
    return BrokerageDashboard(
        year=year,
        production=production,
        offices=office_production(report=production),
        funnel=lead_funnel(user=user),
        pipeline=deal_pipeline(deals=restrict(Transaction.objects.all(), user, VIEW)),
        flags=compliance_flags(user=user),
    )


# ---------- CSV ----------


def _csv(header, rows):
    writer = csv.writer(_Line())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([_safe_cell(value) for value in row])


def _production_cells(totals):
    return (totals.volume, totals.units, totals.gci, totals.company_dollar)


PRODUCTION_HEADER = ("Closed volume", "Units", "GCI", "Company dollar")


def pipeline_csv(*, pipeline):
    """CSV lines of a pipeline: one row per stage."""
    return _csv(
        ("Stage", "Deals", "Expected gross commission", "Deals without price or terms"),
        [(row.label, row.count, row.value, row.unpriced) for row in pipeline.stages],
    )


def listings_performance_csv(*, rows):
    """CSV lines of the agent's listings performance table."""
    return _csv(
        (
            "Listing ID",
            "MLS number",
            "Address",
            "Status",
            "List price",
            "Days on market",
            "Views",
            "Inquiries",
            "Showings",
            "Offers",
            "Open offers",
        ),
        [
            (
                row.listing.pk,
                row.listing.listing_id,
                row.listing.address_line,
                row.listing.get_standard_status_display(),
                row.listing.list_price,
                "" if row.days_on_market is None else row.days_on_market,
                row.views,
                row.inquiries,
                row.showings,
                row.offers,
                row.open_offers,
            )
            for row in rows
        ],
    )


BROKERAGE_TABLES = ("agents", "offices", "funnel", "pipeline", "compliance")


def funnel_stage_labels():
    """The funnel's stages with their labels, in order."""
    return [(stage, stage.label) for stage in FUNNEL_STAGES]


def brokerage_table_csv(*, user, year, table):
    """CSV lines of one table of the broker's dashboard (one of ``BROKERAGE_TABLES``); only
    that table is read."""
    from transactions.models import Transaction

    if table in ("agents", "offices"):
        report = agent_production(year=year, brokerage=actor_for(user).brokerage)
        if table == "agents":
            return _csv(
                ("Agent", *PRODUCTION_HEADER),
                [(row.agent.name, *_production_cells(row.totals)) for row in report.rows],
            )
        return _csv(
            ("Office", "Agents", *PRODUCTION_HEADER),
            [
                (office.name, office.agents, *_production_cells(office.totals))
                for office in office_production(report=report)
            ],
        )
    if table == "funnel":
        return _csv(
            ("Source", *(label for _stage, label in funnel_stage_labels()), "Lost", "Conversion %"),
            [
                (
                    row.source,
                    *row.reached,
                    row.lost,
                    "" if row.conversion is None else row.conversion,
                )
                for row in lead_funnel(user=user)
            ],
        )
    if table == "pipeline":
        pipeline = deal_pipeline(deals=restrict(Transaction.objects.all(), user, VIEW))
        return pipeline_csv(pipeline=pipeline)
    if table == "compliance":
        return _csv(
            ("Flag", "Count"), [(flag.label, flag.count) for flag in compliance_flags(user=user)]
        )
    raise ValueError(f"unknown table {table!r}")
