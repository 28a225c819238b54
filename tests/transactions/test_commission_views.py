"""Commission pages and endpoints for every persona: statements, PDF, build, approve, payouts."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from pypdf import PdfReader

from tests.transactions.test_statements import build, close_deal, make_plan, pay_in_full
from transactions.models.commissions import CommissionStatement, Payout, StatementStatus
from transactions.services.commissions import commission_statement_approve, plan_assign

pytestmark = pytest.mark.django_db

D = Decimal
HIDDEN = ("stranger",)
NOT_BROKERS = ("agent", "colleague", "assistant", "viewer", "stranger")


@pytest.fixture
def plan(personas):
    plan = make_plan(personas.brokerage)
    for agent in (personas.agent, personas.colleague):
        plan_assign(agent=agent, plan=plan, starts_on=date(2020, 1, 1), actor=personas.broker.user)
    return plan


@pytest.fixture
def deal(personas, plan):
    return close_deal(personas.agent, date(2025, 2, 1))


@pytest.fixture
def statement(personas, deal):
    return build(deal, personas.broker)


def url(name, *args):
    return reverse(f"transactions:{name}", args=args)


def api(name, *args):
    return reverse(name, args=args)


def assert_redirects_to_login(response):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# ---------- pages ----------


@pytest.mark.parametrize(
    ("name", "code"),
    [("agent", 200), ("broker", 200), ("colleague", 404), ("assistant", 404), ("stranger", 404)],
)
def test_statement_page_is_private_to_the_agent_and_broker(client_for, statement, name, code):
    response = client_for(name).get(url("statement", statement.pk))
    assert response.status_code == code
    if code == 200:
        content = response.content.decode()
        assert "Agent net" in content
        assert "80% agent / 20% brokerage" in content
        assert "$12,000.00" in content


def test_statement_page_sends_anonymous_visitors_to_login(client_for, statement):
    assert_redirects_to_login(client_for("anonymous").get(url("statement", statement.pk)))
    assert_redirects_to_login(client_for("anonymous").get(url("statement-pdf", statement.pk)))


def test_statement_pdf_shows_the_stored_lines(client_for, statement):
    # A stored line the engine would not produce: the PDF prints what was stored.
    CommissionStatement.objects.filter(pk=statement.pk).update(agent_net=D("12345.67"))
    response = client_for("agent").get(url("statement-pdf", statement.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Maple Realty" in text
    assert "$12,345.67" in text
    assert statement.transaction.name in text


@pytest.mark.parametrize(("name", "code"), [("colleague", 404), ("stranger", 404)])
def test_statement_pdf_hidden_from_others(client_for, statement, name, code):
    assert client_for(name).get(url("statement-pdf", statement.pk)).status_code == code


def test_broker_builds_a_statement_from_the_deal(client_for, deal):
    response = client_for("broker").post(url("statement-build", deal.pk))
    statement = CommissionStatement.objects.get(transaction=deal)
    assert response.status_code == 302
    assert response["Location"] == url("statement", statement.pk)


@pytest.mark.parametrize(("name", "code"), [("agent", 403), ("colleague", 404), ("stranger", 404)])
def test_non_brokers_cannot_build(client_for, deal, name, code):
    assert client_for(name).post(url("statement-build", deal.pk)).status_code == code
    assert not CommissionStatement.objects.exists()


def test_build_of_an_agent_without_a_plan_says_why(personas, client_for):
    deal = close_deal(personas.assistant, date(2025, 2, 1))
    response = client_for("broker").post(url("statement-build", deal.pk), follow=False)
    assert response.status_code == 302
    assert not CommissionStatement.objects.exists()


def test_broker_approves(client_for, statement):
    response = client_for("broker").post(url("statement-approve", statement.pk))
    assert response.status_code == 302
    statement.refresh_from_db()
    assert statement.status == StatementStatus.APPROVED


@pytest.mark.parametrize(("name", "code"), [("agent", 403), ("colleague", 404), ("stranger", 404)])
def test_non_brokers_cannot_approve_or_pay(personas, client_for, statement, name, code):
    client = client_for(name)
    assert client.post(url("statement-approve", statement.pk)).status_code == code
    commission_statement_approve(statement=statement, actor=personas.broker.user)
    data = {"amount": "100.00", "paid_on": "2025-03-01", "method": "check"}
    assert client.post(url("statement-payout", statement.pk), data).status_code == code
    assert not Payout.objects.exists()


def test_broker_records_a_payout_and_sees_errors_next_to_the_amount(
    personas, client_for, statement
):
    commission_statement_approve(statement=statement, actor=personas.broker.user)
    client = client_for("broker")
    too_much = {"amount": "12000.01", "paid_on": "2025-03-01", "method": "check"}
    response = client.post(url("statement-payout", statement.pk), too_much)
    assert response.status_code == 400
    assert "Only $12,000.00" in response.context["payout_form"].errors["amount"][0]
    assert 'value="12000.01"' in response.content.decode()
    response = client.post(
        url("statement-payout", statement.pk), {**too_much, "amount": "12000.00"}
    )
    assert response.status_code == 302
    statement.refresh_from_db()
    assert statement.status == StatementStatus.PAID


def test_deal_box_shows_statements_and_the_build_button_to_brokers(personas, rf, statement):
    template = Template('{% include "transactions/includes/deal_commission.html" %}')
    deal = statement.transaction
    for name, sees_statement, sees_button in [
        ("broker", True, True),
        ("agent", True, False),
        ("colleague", False, False),
    ]:
        request = rf.get("/")
        request.user = personas.user(name)
        html = template.render(Context({"deal": deal, "user": request.user, "request": request}))
        assert (url("statement", statement.pk) in html) is sees_statement, name
        assert ("Build statement" in html) is sees_button, name


# ---------- API ----------


def test_api_lists_own_statements_to_agents_and_all_to_the_broker(
    personas, api_for, statement, django_assert_num_queries
):
    colleague_statement = build(close_deal(personas.colleague, date(2025, 2, 2)), personas.broker)
    agent_ids = [
        row["id"]
        for row in api_for("agent").get(api("commission-statement-list")).json()["results"]
    ]
    assert agent_ids == [statement.pk]
    client = api_for("broker")
    client.get(api("commission-statement-list"))
    for month in range(3, 8):
        build(close_deal(personas.agent, date(2025, month, 1)), personas.broker)
    with django_assert_num_queries(3):
        rows = client.get(api("commission-statement-list")).json()["results"]
    assert {statement.pk, colleague_statement.pk} <= {row["id"] for row in rows}
    assert len(rows) == 7
    assert api_for("stranger").get(api("commission-statement-list")).json()["results"] == []


@pytest.mark.parametrize(
    ("name", "code"),
    [("agent", 200), ("broker", 200), ("colleague", 404), ("stranger", 404), ("anonymous", 401)],
)
def test_api_statement_detail_per_persona(api_for, statement, name, code):
    response = api_for(name).get(api("commission-statement-detail", statement.pk))
    assert response.status_code == code
    if code == 200:
        body = response.json()
        assert body["agent_net"] == "12000.00"
        assert body["lines"][-1] == {
            "label": "Agent net",
            "amount": "12000.00",
            "payee": "agent",
            "explanation": "$12,000.00 from the split",
        }


def test_api_broker_builds_approves_and_pays(personas, api_for, deal):
    client = api_for("broker")
    response = client.post(api("commission-statement-build"), {"deal": deal.pk})
    assert response.status_code == 201
    [built] = response.json()
    assert built["agent"] == deal.agent_id
    assert built["gross_steps"] == [
        {"label": "Commission", "amount": "15000.00", "explanation": "3% of the $500,000.00 price"}
    ]
    pk = built["id"]
    assert client.post(api("commission-statement-approve", pk)).json()["status"] == "approved"
    payout = {"amount": "12000.00", "paid_on": "2025-03-01", "method": "wire", "reference": "W1"}
    response = client.post(api("commission-statement-payout", pk), payout)
    assert response.status_code == 201
    assert response.json()["status"] == "paid"
    assert client.post(api("commission-statement-payout", pk), payout).status_code == 400


@pytest.mark.parametrize(
    ("name", "code"), [("agent", 403), ("colleague", 404), ("stranger", 404), ("anonymous", 401)]
)
def test_api_non_brokers_cannot_build_approve_or_pay(personas, api_for, statement, name, code):
    client = api_for(name)
    build_code = 403 if name == "agent" else code
    assert (
        client.post(
            api("commission-statement-build"), {"deal": statement.transaction_id}
        ).status_code
        == build_code
    )
    assert client.post(api("commission-statement-approve", statement.pk)).status_code == code
    payout = {"amount": "1.00", "paid_on": "2025-03-01", "method": "check"}
    assert client.post(api("commission-statement-payout", statement.pk), payout).status_code == code
    statement.refresh_from_db()
    assert statement.status == StatementStatus.DRAFT


def test_api_payout_refused_while_a_required_item_is_open(personas, api_for, statement):
    from transactions.models import Milestone

    Milestone.objects.create(
        transaction=statement.transaction, title="Final walk-through", required_for_closing=True
    )
    commission_statement_approve(statement=statement, actor=personas.broker.user)
    payout = {"amount": "1.00", "paid_on": "2025-03-01", "method": "check"}
    response = api_for("broker").post(api("commission-statement-payout", statement.pk), payout)
    assert response.status_code == 400
    assert "Final walk-through" in response.json()["non_field_errors"][0]


@pytest.mark.parametrize(
    ("name", "code"), [("broker", 200), ("agent", 403), ("stranger", 403), ("anonymous", 401)]
)
def test_api_plans_are_for_brokers(personas, api_for, plan, name, code):
    make_plan(personas.other_brokerage, name="Theirs")
    response = api_for(name).get(api("commission-plan-list"))
    assert response.status_code == code
    if code == 200:
        assert [row["id"] for row in response.json()["results"]] == [plan.pk]


def test_paid_statement_page_still_shows_its_lines(personas, client_for, statement):
    pay_in_full(statement, personas.broker)
    response = client_for("agent").get(url("statement", statement.pk))
    assert response.status_code == 200
    assert "Paid $12,000.00 of $12,000.00" in response.content.decode()
