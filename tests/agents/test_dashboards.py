"""The agent's performance section and the broker's dashboard: figures, exports, personas."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agents.dashboards import (
    agent_pipeline,
    brokerage_dashboard,
    compliance_flags,
    lead_funnel,
    listings_performance,
)
from clients.choices import ActivityKind, ShowingStatus, Stage
from clients.models import Client, LeadSource, Showing
from clients.services.people import activity_log
from compliance.models import FairHousingScanRun
from compliance.models.fair_housing import ScanState
from compliance.models.licences import Licence, LicenceStatus
from compliance.models.privacy import RetentionPolicy
from properties.models import ListingViewDay
from properties.services import listing_archive, listing_view_count
from tests.testing.factories import make_client, make_listing, make_office
from tests.transactions.factories import make_deal
from transactions.choices import DealStage, ReviewState, Side
from transactions.models import Document, Transaction
from transactions.services.commissions import deal_shares_set

pytestmark = pytest.mark.django_db

PERFORMANCE = reverse("dashboard-performance")
PERFORMANCE_CSV = reverse("dashboard-performance-export")
BROKERAGE = reverse("dashboard-brokerage")
BROKERAGE_CSV = reverse("dashboard-brokerage-export")
HTMX = {"HTTP_HX_REQUEST": "true"}


def set_stage(deal, stage, **fields):
    Transaction.objects.filter(pk=deal.pk).update(stage=stage, **fields)


def csv_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def queries_of(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **HTMX)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured)


# ---------- fixtures: a small hand-made brokerage ----------


@pytest.fixture
def deals(personas):
    """The agent's open deals: 12,000 pre-contract, 7,500 (their 75%) under contract, 2,500
    (their 50% as co-agent) and one unpriced pending; a closed one and another brokerage's."""
    agent, colleague = personas.agent, personas.colleague
    first = make_deal(agent.user, offer_price=Decimal("400000"), commission_rate=Decimal("0.03"))
    second = make_deal(
        agent.user,
        offer_price=Decimal("500000"),
        commission_amount=Decimal("10000"),
        co_agents=[colleague],
    )
    deal_shares_set(deal=second, shares={colleague: Decimal("0.25")}, actor=agent.user)
    set_stage(second, DealStage.UNDER_CONTRACT)
    third = make_deal(
        colleague.user,
        offer_price=Decimal("200000"),
        commission_rate=Decimal("0.025"),
        co_agents=[agent],
    )
    deal_shares_set(deal=third, shares={agent: Decimal("0.5")}, actor=colleague.user)
    set_stage(third, DealStage.PENDING)
    unpriced = make_deal(agent.user, commission_rate=Decimal("0.03"))
    set_stage(unpriced, DealStage.PENDING)
    closed = make_deal(agent.user, offer_price=Decimal("900000"), commission_rate=Decimal("0.03"))
    set_stage(closed, DealStage.CLOSED, sale_price=Decimal("900000"))
    make_deal(
        personas.stranger.user, offer_price=Decimal("1000000"), commission_rate=Decimal("0.03")
    )
    return {"first": first, "second": second, "third": third}


@pytest.fixture
def listings(personas):
    """The agent's listings: two on the market, one sold, one archived; a colleague's."""
    agent = personas.agent.user
    on_market = make_listing(
        agent, street_name="Birch", on_market_date=timezone.localdate() - timedelta(days=10)
    )
    pending = make_listing(agent, street_name="Cedar", standard_status="Pending")
    make_listing(agent, street_name="Sold", standard_status="Closed")
    archived = make_listing(agent, street_name="Gone")
    listing_archive(listing=archived, actor=agent)
    make_listing(personas.colleague.user, street_name="Theirs")
    return on_market, pending


def add_interest(personas, listing):
    """Two people inquired (one twice), two showings booked and one cancelled, two offers."""
    agent = personas.agent
    for person in (make_client(agent.user), make_client(agent.user)):
        activity_log(
            client=person,
            kind=ActivityKind.SYSTEM,
            subject="Web inquiry",
            listing=listing,
            details={"intake": True, "engagement": True},
        )
    activity_log(
        client=person,
        kind=ActivityKind.SYSTEM,
        subject="Web inquiry again",
        listing=listing,
        details={"intake": True},
    )
    activity_log(client=person, kind=ActivityKind.NOTE, subject="Liked it", listing=listing)
    start = timezone.now() + timedelta(days=1)
    for status in (ShowingStatus.CONFIRMED, ShowingStatus.COMPLETED, ShowingStatus.CANCELLED):
        Showing.objects.create(
            brokerage=agent.brokerage,
            listing=listing,
            agent=personas.colleague,
            starts_at=start,
            ends_at=start + timedelta(minutes=30),
            status=status,
        )
    make_deal(personas.colleague.user, property=listing)
    fell = make_deal(personas.colleague.user, property=listing)
    set_stage(fell, DealStage.FELL_THROUGH)


# ---------- the agent's pipeline value ----------


def test_agent_pipeline_values_each_open_deal_at_the_agents_part_of_its_gross(personas, deals):
    pipeline = agent_pipeline(user=personas.agent.user)
    figures = {row.stage: (row.count, row.value, row.unpriced) for row in pipeline.stages}
    assert figures == {
        DealStage.PRE_CONTRACT: (1, Decimal("12000.00"), 0),
        DealStage.UNDER_CONTRACT: (1, Decimal("7500.00"), 0),
        DealStage.PENDING: (2, Decimal("2500.00"), 1),
    }
    assert pipeline.value == Decimal("22000.00")
    assert pipeline.count == 4


def test_colleagues_pipeline_counts_only_their_own_part(personas, deals):
    pipeline = agent_pipeline(user=personas.colleague.user)
    figures = {row.stage: (row.count, row.value) for row in pipeline.stages}
    assert figures[DealStage.UNDER_CONTRACT] == (1, Decimal("2500.00"))
    assert figures[DealStage.PENDING] == (1, Decimal("2500.00"))
    assert figures[DealStage.PRE_CONTRACT] == (0, Decimal("0.00"))


# ---------- the agent's listings performance ----------


def test_listings_performance_lists_only_the_agents_listings_on_the_market(personas, listings):
    on_market, pending = listings
    rows = listings_performance(user=personas.agent.user)
    assert [row.listing.pk for row in rows] == [on_market.pk, pending.pk]
    assert rows[0].days_on_market == 10


def test_listing_figures_count_inquirers_showings_and_offers(personas, listings):
    on_market, pending = listings
    add_interest(personas, on_market)
    rows = {row.listing.pk: row for row in listings_performance(user=personas.agent.user)}
    mine = rows[on_market.pk]
    assert (mine.inquiries, mine.showings, mine.offers, mine.open_offers) == (2, 2, 2, 1)
    other = rows[pending.pk]
    assert (other.views, other.inquiries, other.showings, other.offers) == (0, 0, 0, 0)


def test_listing_page_views_are_counted_except_the_listing_agents_own(
    personas, listings, client_for
):
    on_market, _ = listings
    page = reverse("properties:detail", args=[on_market.pk])
    for persona in ("colleague", "colleague", "broker", "agent"):
        assert client_for(persona).get(page).status_code == 200
    assert client_for("stranger").get(page).status_code == 404
    rows = {row.listing.pk: row for row in listings_performance(user=personas.agent.user)}
    assert rows[on_market.pk].views == 3
    assert ListingViewDay.objects.get(listing=on_market).count == 3


def test_listing_views_are_one_row_a_day(personas, listings):
    on_market, _ = listings
    today = timezone.localdate()
    for day in (today, today, today - timedelta(days=1)):
        listing_view_count(listing=on_market, viewer=personas.colleague.user, day=day)
    counts = dict(ListingViewDay.objects.filter(listing=on_market).values_list("day", "count"))
    assert counts == {today: 2, today - timedelta(days=1): 1}
    rows = listings_performance(user=personas.agent.user)
    assert rows[0].views == 3


# ---------- the performance section's pages ----------


def test_dashboard_loads_the_performance_section_with_htmx(client_for):
    content = client_for("agent").get(reverse("dashboard")).content.decode()
    assert f'hx-get="{PERFORMANCE}"' in content


def test_performance_partial_shows_pipeline_and_listings(personas, deals, listings, client_for):
    response = client_for("agent").get(PERFORMANCE, **HTMX)
    assert response.status_code == 200
    assert [template.name for template in response.templates][0] == (
        "agents/includes/performance.html"
    )
    content = response.content.decode()
    assert "$22,000" in content
    assert "Birch" in content and "Cedar" in content
    assert "Theirs" not in content


def test_performance_page_without_htmx_is_a_full_page(client_for):
    response = client_for("agent").get(PERFORMANCE)
    assert response.status_code == 200
    assert "agents/performance.html" in [template.name for template in response.templates]


def test_performance_queries_do_not_grow_with_listings_and_deals(personas, client_for):
    agent = personas.agent.user
    client = client_for("agent")
    make_listing(agent)
    make_deal(agent, offer_price=Decimal("100000"), commission_rate=Decimal("0.03"))
    few = queries_of(client, PERFORMANCE)
    for _ in range(3):
        listing = make_listing(agent)
        add_interest(personas, listing)
        make_deal(agent, offer_price=Decimal("100000"), commission_rate=Decimal("0.03"))
    assert queries_of(client, PERFORMANCE) == few
    assert few == 10


def test_performance_export_of_listings(personas, listings, client_for):
    on_market, _ = listings
    add_interest(personas, on_market)
    response = client_for("agent").get(PERFORMANCE_CSV, {"table": "listings"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert rows[0][:2] == ["Listing ID", "MLS number"]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Listing ID"] == str(on_market.pk)
    assert (first["Days on market"], first["Inquiries"], first["Showings"]) == ("10", "2", "2")
    assert (first["Offers"], first["Open offers"]) == ("2", "1")
    assert len(rows) == 3


def test_performance_export_of_the_pipeline(personas, deals, client_for):
    rows = csv_rows(client_for("agent").get(PERFORMANCE_CSV, {"table": "pipeline"}))
    assert rows[1:] == [
        ["Pre-contract", "1", "12000.00", "0"],
        ["Under contract", "1", "7500.00", "0"],
        ["Pending", "2", "2500.00", "1"],
    ]


def test_performance_export_of_an_unknown_table_is_not_found(client_for):
    assert client_for("agent").get(PERFORMANCE_CSV, {"table": "clients"}).status_code == 404


def test_stranger_sees_only_their_own_performance(personas, deals, listings, client_for):
    content = client_for("stranger").get(PERFORMANCE, **HTMX).content.decode()
    assert "Birch" not in content
    assert "$22,000" not in content
    rows = csv_rows(client_for("stranger").get(PERFORMANCE_CSV, {"table": "listings"}))
    assert len(rows) == 1
    pipeline = csv_rows(client_for("stranger").get(PERFORMANCE_CSV, {"table": "pipeline"}))
    assert {row[1] for row in pipeline[1:]} == {"1", "0"}


@pytest.mark.parametrize("url", [PERFORMANCE, PERFORMANCE_CSV, BROKERAGE, BROKERAGE_CSV])
def test_anonymous_visitor_is_sent_to_login(client_for, url):
    response = client_for("anonymous").get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# ---------- the broker's dashboard: figures ----------


@pytest.fixture
def production(personas):
    """This year's closings: the agent 300,000 at 3% (Downtown), the colleague 200,000 for a
    flat 5,000 (moved to Uptown); a closing of last year and another brokerage's."""
    this_year = timezone.localdate().replace(month=1, day=15)
    uptown = make_office(personas.brokerage, "Uptown")
    personas.colleague.office = uptown
    personas.colleague.save(update_fields=["office"])
    for user, fields, closed_on in (
        (personas.agent.user, {"commission_rate": Decimal("0.03")}, this_year),
        (personas.colleague.user, {"commission_amount": Decimal("5000")}, this_year),
        (personas.agent.user, {"commission_rate": Decimal("0.03")}, this_year.replace(year=2000)),
        (personas.stranger.user, {"commission_rate": Decimal("0.03")}, this_year),
    ):
        deal = make_deal(user, side=Side.LISTING, **fields)
        price = Decimal("300000") if user == personas.agent.user else Decimal("200000")
        set_stage(deal, DealStage.CLOSED, sale_price=price, closed_on=closed_on)
    return this_year.year


def test_production_by_agent_and_office(personas, production):
    dashboard = brokerage_dashboard(user=personas.broker.user, year=production)
    by_agent = {
        row.agent.pk: (row.totals.volume, row.totals.gci) for row in dashboard.production.rows
    }
    assert by_agent[personas.agent.pk] == (Decimal("300000.00"), Decimal("9000.00"))
    assert by_agent[personas.colleague.pk] == (Decimal("200000.00"), Decimal("5000.00"))
    assert personas.stranger.pk not in by_agent
    by_office = {office.name: (office.agents, office.totals.volume) for office in dashboard.offices}
    assert by_office["Downtown"] == (3, Decimal("300000.00"))
    assert by_office["Uptown"] == (1, Decimal("200000.00"))
    assert by_office["No office"] == (1, Decimal("0"))


@pytest.fixture
def funnel_clients(personas):
    """Zillow: new, contacted, active, closed and lost; Website: under contract; one with no
    source; another brokerage's Zillow lead."""
    brokerage = personas.brokerage
    zillow = LeadSource.objects.create(brokerage=brokerage, name="Zillow")
    website = LeadSource.objects.create(brokerage=brokerage, name="Website")
    theirs = LeadSource.objects.create(brokerage=personas.other_brokerage, name="Zillow")
    people = [
        (personas.agent, zillow, Stage.NEW),
        (personas.agent, zillow, Stage.CONTACTED),
        (personas.colleague, zillow, Stage.ACTIVE),
        (personas.agent, zillow, Stage.CLOSED),
        (personas.agent, zillow, Stage.LOST),
        (personas.colleague, website, Stage.UNDER_CONTRACT),
        (personas.agent, None, Stage.NEW),
        (personas.stranger, theirs, Stage.CLOSED),
    ]
    for agent, source, stage in people:
        client = make_client(agent.user)
        Client.objects.filter(pk=client.pk).update(source=source, stage=stage)


def test_lead_funnel_counts_clients_reaching_each_stage_by_source(personas, funnel_clients):
    rows = {row.source: row for row in lead_funnel(user=personas.broker.user)}
    assert set(rows) == {"Zillow", "Website", "No source"}
    zillow = rows["Zillow"]
    assert zillow.reached == [5, 3, 2, 2, 1, 1]
    assert (zillow.lost, zillow.conversion) == (1, 20)
    assert rows["Website"].reached == [1, 1, 1, 1, 1, 0]
    assert rows["No source"].reached == [1, 0, 0, 0, 0, 0]


def test_brokerage_pipeline_values_each_deal_at_its_whole_gross(personas, deals):
    dashboard = brokerage_dashboard(user=personas.broker.user, year=timezone.localdate().year)
    figures = {row.stage: (row.count, row.value, row.unpriced) for row in dashboard.pipeline.stages}
    assert figures == {
        DealStage.PRE_CONTRACT: (1, Decimal("12000.00"), 0),
        DealStage.UNDER_CONTRACT: (1, Decimal("10000.00"), 0),
        DealStage.PENDING: (2, Decimal("5000.00"), 1),
    }


@pytest.fixture
def compliance_matters(personas, deals):
    """Two lapsed licences (expired, suspended), one expiring in 30 days, one fine; an older
    and the last finished Fair Housing scan, then a failed one; one document waiting; one
    client due for anonymising."""
    today = timezone.localdate()
    for agent, number, expires, status in (
        (personas.viewer, "1", today - timedelta(days=1), LicenceStatus.ACTIVE),
        (personas.assistant, "2", today + timedelta(days=300), LicenceStatus.SUSPENDED),
        (personas.viewer, "3", today + timedelta(days=30), LicenceStatus.ACTIVE),
        (personas.assistant, "4", today + timedelta(days=200), LicenceStatus.ACTIVE),
        (personas.stranger, "5", today - timedelta(days=1), LicenceStatus.ACTIVE),
    ):
        Licence.objects.create(
            agent=agent, number=number, state="IL", expires_on=expires, status=status
        )
    now = timezone.now()
    older = FairHousingScanRun.objects.create(
        brokerage=personas.brokerage,
        state=ScanState.SUCCEEDED,
        listings_flagged=7,
        finished_at=now - timedelta(days=1),
    )
    FairHousingScanRun.objects.filter(pk=older.pk).update(started_at=now - timedelta(days=1))
    last = FairHousingScanRun.objects.create(
        brokerage=personas.brokerage, state=ScanState.SUCCEEDED, listings_flagged=2, finished_at=now
    )
    FairHousingScanRun.objects.filter(pk=last.pk).update(started_at=now)
    FairHousingScanRun.objects.create(
        brokerage=personas.brokerage, state=ScanState.FAILED, listings_flagged=9, finished_at=now
    )
    for state in (ReviewState.SUBMITTED, ReviewState.APPROVED):
        Document.objects.create(
            transaction=deals["first"],
            title="Disclosure",
            file="deals/disclosure.pdf",
            content_type="application/pdf",
            sha256="0" * 64,
            review_state=state,
        )
    RetentionPolicy.objects.create(brokerage=personas.brokerage, period_months=12, enabled=True)
    long_ago = now - timedelta(days=800)
    Client.objects.create(
        brokerage=personas.brokerage, first_name="Old", stage=Stage.LOST, created_at=long_ago
    )
    return last


def test_compliance_flags_count_what_waits_for_the_broker(personas, compliance_matters):
    flags = {flag.key: flag for flag in compliance_flags(user=personas.broker.user)}
    counts = {key: flag.count for key, flag in flags.items()}
    assert counts == {
        "licences_lapsed": 2,
        "licences_expiring": 1,
        "fair_housing": 2,
        "documents": 1,
        "retention": 1,
    }
    assert flags["fair_housing"].url == reverse(
        "compliance:fair-housing-run", args=[compliance_matters.pk]
    )
    assert flags["licences_lapsed"].url.endswith("?expiry=lapsed")


def test_compliance_flags_of_a_quiet_brokerage_are_zero(personas):
    counts = {flag.key: flag.count for flag in compliance_flags(user=personas.broker.user)}
    assert set(counts.values()) == {0}


# ---------- the broker's dashboard: pages ----------


@pytest.mark.parametrize("persona", ["agent", "colleague", "assistant", "viewer", "stranger"])
def test_only_a_broker_opens_the_brokerage_dashboard(client_for, persona):
    assert client_for(persona).get(BROKERAGE).status_code == 403
    assert client_for(persona).get(BROKERAGE_CSV, {"table": "agents"}).status_code == 403


def test_broker_sees_the_dashboard_with_every_table(
    personas, production, funnel_clients, client_for
):
    response = client_for("broker").get(BROKERAGE, {"year": production})
    assert response.status_code == 200
    content = response.content.decode()
    for heading in (
        "Production by agent",
        "Production by office",
        "Lead conversion by source",
        "Deals by stage",
        "Compliance",
    ):
        assert heading in content
    assert "Uptown" in content and "Zillow" in content
    assert "$500,000" in content
    assert "sam" not in content.lower()


def test_a_broker_of_another_brokerage_sees_only_their_own(personas, production, client_for):
    from agents.choices import Role
    from tests.testing.factories import make_agent

    other_broker = make_agent(personas.other_brokerage, Role.BROKER, username="olga")
    client = client_for("anonymous")
    client.force_login(other_broker.user)
    response = client.get(BROKERAGE, {"year": production})
    assert response.status_code == 200
    names = {row.agent.pk for row in response.context["dashboard"].production.rows}
    assert personas.agent.pk not in names
    assert personas.stranger.pk in names
    rows = csv_rows(client.get(BROKERAGE_CSV, {"table": "agents", "year": production}))
    assert personas.agent.name not in str(rows)


def test_brokerage_dashboard_link_shows_for_brokers_only(client_for):
    assert f'href="{BROKERAGE}"' in client_for("broker").get(reverse("dashboard")).content.decode()
    assert (
        f'href="{BROKERAGE}"' not in client_for("agent").get(reverse("dashboard")).content.decode()
    )


def test_a_year_out_of_range_shows_this_year(client_for):
    response = client_for("broker").get(BROKERAGE, {"year": "1900"})
    assert response.context["year"] == timezone.localdate().year
    response = client_for("broker").get(BROKERAGE, {"year": "soon"})
    assert response.context["year"] == timezone.localdate().year


def add_business(personas, source):
    """A closed deal, an open deal on a listing and a client from ``source``, per agent."""
    for user in (personas.agent.user, personas.colleague.user):
        listing = make_listing(user)
        deal = make_deal(user, offer_price=Decimal("1"), commission_rate=Decimal("0.03"))
        set_stage(deal, DealStage.CLOSED, sale_price=Decimal("1"), closed_on=timezone.localdate())
        make_deal(user, property=listing, offer_price=Decimal("2"), commission_rate=Decimal("0.03"))
        client_record = make_client(user)
        Client.objects.filter(pk=client_record.pk).update(source=source, stage=Stage.ACTIVE)


def test_brokerage_dashboard_queries_do_not_grow_with_rows(personas, client_for):
    client = client_for("broker")
    source = LeadSource.objects.create(brokerage=personas.brokerage, name="Zillow")
    add_business(personas, source)
    few = queries_of(client, BROKERAGE)
    for _ in range(3):
        add_business(personas, source)
    assert queries_of(client, BROKERAGE) == few
    assert few == 16


def test_brokerage_exports_each_table(personas, production, funnel_clients, deals, client_for):
    client = client_for("broker")
    agents = csv_rows(client.get(BROKERAGE_CSV, {"table": "agents", "year": production}))
    assert agents[0] == ["Agent", "Closed volume", "Units", "GCI", "Company dollar"]
    by_name = {row[0]: row for row in agents[1:]}
    assert by_name[personas.agent.name][1:4] == ["300000.00", "1.00", "9000.00"]
    offices = csv_rows(client.get(BROKERAGE_CSV, {"table": "offices", "year": production}))
    assert ["Uptown", "1", "200000.00", "1.00", "5000.00", "0.00"] in offices
    funnel = csv_rows(client.get(BROKERAGE_CSV, {"table": "funnel"}))
    assert funnel[0][0] == "Source" and funnel[0][-2:] == ["Lost", "Conversion %"]
    assert ["Zillow", "5", "3", "2", "2", "1", "1", "1", "20"] in funnel
    pipeline = csv_rows(client.get(BROKERAGE_CSV, {"table": "pipeline"}))
    assert ["Under contract", "1", "10000.00", "0"] in pipeline
    compliance = csv_rows(client.get(BROKERAGE_CSV, {"table": "compliance"}))
    assert compliance[0] == ["Flag", "Count"] and len(compliance) == 6


def test_brokerage_export_of_an_unknown_table_is_not_found(client_for):
    assert client_for("broker").get(BROKERAGE_CSV, {"table": "secrets"}).status_code == 404
    assert client_for("broker").get(BROKERAGE_CSV).status_code == 404


@pytest.mark.parametrize("table", ["agents", "offices", "funnel", "pipeline", "compliance"])
def test_brokerage_export_queries_do_not_grow_with_rows(personas, client_for, table):
    client = client_for("broker")
    url = f"{BROKERAGE_CSV}?table={table}"
    source = LeadSource.objects.create(brokerage=personas.brokerage, name="Zillow")
    add_business(personas, source)
    few = queries_of(client, url)
    for _ in range(3):
        add_business(personas, source)
    assert queries_of(client, url) == few
