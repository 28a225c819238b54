"""The agent's day: late and due tasks, today's showings and new leads, on the dashboard."""

from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as BrowserClient
from django.urls import reverse
from django.utils import timezone

from clients.choices import ShowingStatus, Stage
from clients.models import Client, Showing
from clients.selectors import agent_day
from clients.services.people import task_complete, task_create
from tests.testing.factories import make_client, make_listing

pytestmark = pytest.mark.django_db

DAY = reverse("clients:day")
HTMX = {"HTTP_HX_REQUEST": "true"}


def local(day, hour, minute=0):
    """An aware time on ``day`` in the site's time zone."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def make_task(actor, title, due_date, **data):
    return task_create(data={"title": title, "due_date": due_date, **data}, actor=actor)


def make_showing(agent, listing, starts_at, status=ShowingStatus.CONFIRMED, client=None):
    return Showing.objects.create(
        brokerage=agent.brokerage,
        listing=listing,
        agent=agent,
        client=client,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=30),
        status=status,
    )


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def listing(personas):
    return make_listing(personas.agent.user, street_number="88", street_name="Lakeview")


def test_day_has_overdue_and_todays_open_tasks_of_the_agent_only(personas, today):
    agent = personas.agent.user
    late = make_task(agent, "Late", today - timedelta(days=3))
    due = make_task(agent, "Due", today)
    make_task(agent, "Tomorrow", today + timedelta(days=1))
    finished = make_task(agent, "Finished", today)
    task_complete(task=finished, actor=agent)
    make_task(personas.colleague.user, "Colleague's", today)
    day = agent_day(user=agent, today=today)
    assert [task.pk for task in day.overdue_tasks] == [late.pk]
    assert [task.pk for task in day.today_tasks] == [due.pk]


def test_todays_showings_are_the_booked_ones_within_the_local_day(personas, listing, today):
    agent = personas.agent
    buyer = make_client(agent.user, first_name="Bea")
    morning = make_showing(agent, listing, local(today, 0, 15), ShowingStatus.REQUESTED, buyer)
    evening = make_showing(agent, listing, local(today, 23, 30))
    make_showing(agent, listing, local(today, 12), ShowingStatus.CANCELLED)
    make_showing(agent, listing, local(today, 13), ShowingStatus.COMPLETED)
    make_showing(agent, listing, local(today - timedelta(days=1), 23, 45))
    make_showing(agent, listing, local(today + timedelta(days=1), 0, 5))
    make_showing(personas.colleague, listing, local(today, 10))
    day = agent_day(user=agent.user, today=today)
    assert [showing.pk for showing in day.showings] == [morning.pk, evening.pk]


def test_new_leads_are_the_agents_new_clients_of_the_last_week(personas, today):
    agent = personas.agent.user
    fresh = make_client(agent, first_name="Fresh")
    stale = make_client(agent, first_name="Stale")
    Client.objects.filter(pk=stale.pk).update(assigned_at=timezone.now() - timedelta(days=8))
    make_client(agent, first_name="Moving", stage=Stage.QUALIFIED)
    make_client(personas.colleague.user, first_name="Theirs")
    day = agent_day(user=agent, today=today)
    assert [lead.pk for lead in day.new_leads] == [fresh.pk]


def test_pooled_leads_of_the_brokerage_are_counted(personas, today):
    for _ in range(2):
        lead = make_client(personas.broker.user)
        Client.objects.filter(pk=lead.pk).update(in_pond=True)
    other = make_client(personas.stranger.user)
    Client.objects.filter(pk=other.pk).update(in_pond=True)
    assert agent_day(user=personas.agent.user, today=today).pooled_count == 2


def test_user_without_an_agent_profile_has_no_day():
    user = get_user_model().objects.create_user(username="newcomer")
    assert agent_day(user=user) is None


def test_day_partial_shows_tasks_showings_and_leads(personas, client_for, listing, today):
    agent = personas.agent
    buyer = make_client(agent.user, first_name="Bea", last_name="Buyer")
    make_task(agent.user, "Chase the appraisal", today - timedelta(days=1))
    make_task(agent.user, "Call Bea", today, client=buyer)
    make_showing(agent, listing, local(today, 15), client=buyer)
    lead = make_client(personas.broker.user)
    Client.objects.filter(pk=lead.pk).update(in_pond=True)
    response = client_for("agent").get(DAY, **HTMX)
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert "Chase the appraisal" in content
    assert "Overdue" in content
    assert "Call Bea" in content
    assert "88 Lakeview" in content
    assert "with Bea Buyer" in content
    assert "3:00 PM" in content
    assert "1 pooled lead waiting to be claimed" in content
    assert "Bea Buyer" in content


def test_day_page_without_htmx_is_a_whole_page(client_for):
    content = client_for("agent").get(DAY).content.decode()
    assert "<html" in content
    assert "Nothing due today." in content
    assert "No showings booked for today." in content
    assert "No new leads this week." in content


def test_dashboard_loads_the_day_into_the_page(client_for):
    content = client_for("agent").get(reverse("dashboard")).content.decode()
    assert f'hx-get="{DAY}" hx-trigger="load"' in content
    assert f'href="{DAY}"' in content


def test_anonymous_visitor_is_sent_to_login_from_the_day(client_for):
    response = client_for("anonymous").get(DAY, **HTMX)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_day_of_someone_without_an_agent_profile_says_why_it_is_empty():
    user = get_user_model().objects.create_user(username="newcomer")
    browser = BrowserClient()
    browser.force_login(user)
    content = browser.get(DAY, **HTMX).content.decode()
    assert "not linked to an agent profile" in content


def test_a_stranger_never_sees_the_agents_day(personas, client_for, listing, today):
    make_task(personas.agent.user, "Secret task", today)
    make_showing(personas.agent, listing, local(today, 11))
    content = client_for("stranger").get(DAY, **HTMX).content.decode()
    assert "Secret task" not in content
    assert "Lakeview" not in content


def test_day_query_count_does_not_grow_with_its_rows(
    personas, client_for, listing, today, django_assert_max_num_queries
):
    agent = personas.agent
    for n in range(8):
        client = make_client(agent.user, first_name=f"Lead{n}")
        make_task(agent.user, f"Task {n}", today - timedelta(days=n % 2), client=client)
        make_showing(agent, listing, local(today, 8 + n), client=client)
    browser = client_for("agent")
    # session, user, agent with role, open tasks with clients, showings with listing and
    # client, new leads, pooled count, and guardian's content-type lookups
    with django_assert_max_num_queries(10):
        response = browser.get(DAY, **HTMX)
    day = response.context["day"]
    assert (len(day.overdue_tasks) + len(day.today_tasks), len(day.showings)) == (8, 8)
    assert len(day.new_leads) == 8
