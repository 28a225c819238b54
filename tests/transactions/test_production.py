"""The production report: closed volume, units, GCI, company dollar and cap progress."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.transactions.test_statements import build, close_deal, make_plan
from transactions.choices import DealStage
from transactions.services.commissions import agent_production, plan_assign

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def year_of_deals(personas):
    """The agent closes two deals in 2025 (one with a flat commission) and one in 2024."""
    plan = make_plan(personas.brokerage)
    plan_assign(
        agent=personas.agent, plan=plan, starts_on=date(2020, 1, 1), actor=personas.broker.user
    )
    march = close_deal(personas.agent, date(2025, 3, 3), price="400000.00")
    may = close_deal(
        personas.agent,
        date(2025, 5, 9),
        price="250000.00",
        rate=None,
        commission_amount=D("5000.00"),
    )
    close_deal(personas.agent, date(2024, 12, 31), price="900000.00")
    close_deal(personas.agent, None, price="300000.00", stage=DealStage.PENDING)
    close_deal(personas.colleague, date(2025, 5, 1), price="100000.00")
    for deal in (march, may):
        build(deal, personas.broker)


def test_agent_production_adds_up_closed_deals_of_the_year(personas, year_of_deals, settings):
    report = agent_production(year=2025, agent=personas.agent)
    row = report.rows[0]
    # $400,000 at 3% = $12,000 GCI ($2,400 company dollar); a flat $5,000 ($1,000).
    assert (row.totals.volume, row.totals.units) == (D("650000.00"), 2)
    assert (row.totals.gci, row.totals.company_dollar) == (D("17000.00"), D("3400.00"))
    assert report.months[2].gci == D("12000.00")
    assert report.months[4].volume == D("250000.00")
    assert report.months[0].units == 0
    assert row.cap.cap == D("16000.00")
    assert row.cap.paid == D("3400.00")
    assert row.cap.percent == 21
    assert row.cap.remaining == D("12600.00")


def test_brokerage_production_has_a_row_per_agent(personas, year_of_deals):
    report = agent_production(year=2025, brokerage=personas.brokerage)
    by_agent = {row.agent.pk: row for row in report.rows}
    assert by_agent[personas.colleague.pk].totals.units == 1
    assert by_agent[personas.colleague.pk].cap is None
    assert report.totals.units == 3
    assert report.totals.volume == D("750000.00")
    assert personas.stranger.pk not in by_agent


def page(year=2025, **query):
    return (
        reverse("transactions:production")
        + "?"
        + "&".join(f"{key}={value}" for key, value in {"year": year, **query}.items())
    )


def test_agent_sees_own_production_with_a_chart(client_for, personas, year_of_deals):
    response = client_for("agent").get(page(agent=personas.colleague.pk))
    assert response.status_code == 200
    assert response.context["row"].agent == personas.agent
    html = response.content.decode()
    assert "<svg" in html and "<rect" in html
    assert "$650,000" in html
    assert "$3,400 of $16,000" in html


def test_broker_sees_the_brokerage_table_and_can_pick_an_agent(
    client_for, personas, year_of_deals, django_assert_max_num_queries
):
    client = client_for("broker")
    client.get(page())
    with django_assert_max_num_queries(12):
        response = client.get(page())
    assert response.context["brokerage_view"]
    html = response.content.decode()
    assert personas.agent.name in html and personas.colleague.name in html
    assert personas.stranger.name not in html
    response = client.get(page(agent=personas.agent.pk))
    assert response.context["row"].agent == personas.agent


def test_broker_cannot_pick_another_brokerages_agent(client_for, personas, year_of_deals):
    response = client_for("broker").get(page(agent=personas.stranger.pk))
    assert response.status_code == 200
    assert response.context["brokerage_view"]
    assert personas.stranger.name not in response.content.decode()


def test_stranger_sees_only_their_own_empty_year(client_for, year_of_deals):
    response = client_for("stranger").get(page())
    assert response.status_code == 200
    assert response.context["report"].totals.units == 0
    assert "No closed deals in 2025" in response.content.decode()


def test_production_page_sends_anonymous_visitors_to_login(client_for):
    response = client_for("anonymous").get(page())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("name", "units"), [("agent", 2), ("colleague", 1), ("stranger", 0)])
def test_production_api_gives_each_agent_their_own(api_for, personas, year_of_deals, name, units):
    response = api_for(name).get(reverse("production"), {"year": 2025, "agent": personas.agent.pk})
    assert response.status_code == 200
    body = response.json()
    assert body["totals"]["units"] == units
    assert [row["agent"] for row in body["agents"]] == [getattr(personas, name).pk]


def test_production_api_for_the_broker(
    api_for, personas, year_of_deals, django_assert_max_num_queries
):
    client = api_for("broker")
    with django_assert_max_num_queries(8):
        body = client.get(reverse("production"), {"year": 2025}).json()
    assert body["totals"] == {
        "volume": "750000.00",
        "units": 3,
        "gci": "20000.00",
        "company_dollar": "3400.00",
    }
    assert len(body["months"]) == 12
    agent_row = next(row for row in body["agents"] if row["agent"] == personas.agent.pk)
    assert agent_row["cap"]["paid"] == "3400.00"
    one = client.get(reverse("production"), {"year": 2025, "agent": personas.agent.pk}).json()
    assert one["totals"]["units"] == 2
    assert client.get(reverse("production"), {"agent": personas.stranger.pk}).status_code == 404


def test_production_api_needs_a_signed_in_member(api_for):
    assert api_for("anonymous").get(reverse("production")).status_code == 401
