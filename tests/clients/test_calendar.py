"""The iCalendar feed of an agent's showings and tasks, its secret address and its settings."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from clients.calendar import agent_calendar, calendar_week, week_start
from clients.models import CalendarFeed
from clients.services.people import task_complete, task_create
from clients.services.showings import calendar_feed_create, showing_cancel, showing_create
from tests.testing.factories import make_client, make_listing

pytestmark = pytest.mark.django_db

API_URL = "/api/v1/me/calendar-feed/"


def at(hour, minute=0, days=1):
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def book(actor, listing, starts_at, minutes=30, **data):
    return showing_create(
        data={
            "listing": listing,
            "starts_at": starts_at,
            "ends_at": starts_at + timedelta(minutes=minutes),
            **data,
        },
        actor=actor,
    )


@pytest.fixture
def oak(personas):
    return make_listing(
        personas.agent.user,
        street_number="12",
        street_name="Oak",
        street_suffix="St",
        city="Springfield",
    )


@pytest.fixture
def buyer(personas):
    return make_client(personas.agent.user, first_name="Jo", last_name="Buyer")


@pytest.fixture
def showing(personas, oak, buyer):
    return book(personas.agent.user, oak, at(14), client=buyer, notes="Lockbox 1234")


@pytest.fixture
def task(personas, buyer):
    return task_create(
        data={"title": "Send comps to Jo", "due_date": timezone.localdate() + timedelta(days=2)},
        actor=personas.agent.user,
    )


@pytest.fixture
def feed(personas):
    return calendar_feed_create(agent=personas.agent, actor=personas.agent.user)


def feed_url(feed):
    return reverse("clients:calendar-feed", args=[feed.token])


def events(body):
    calendar = Calendar.from_ical(body)
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


# ---------- The calendar ----------


def test_calendar_is_a_valid_vcalendar_with_refresh_hints(personas, showing):
    calendar = Calendar.from_ical(agent_calendar(agent=personas.agent))
    assert calendar.name == "VCALENDAR"
    assert str(calendar["version"]) == "2.0"
    assert "Brokerage CRM" in str(calendar["prodid"])
    assert calendar["refresh-interval"].dt == timedelta(minutes=15)
    assert calendar["refresh-interval"].params["VALUE"] == "DURATION"
    assert str(calendar["x-published-ttl"]) == "PT15M"
    assert personas.agent.name in str(calendar["x-wr-calname"])


def test_calendar_writes_times_in_utc_and_refresh_hints_as_rfc_7986_does(personas, showing):
    body = agent_calendar(agent=personas.agent).decode()
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT15M\r\n" in body
    assert "X-PUBLISHED-TTL:PT15M\r\n" in body
    start = showing.starts_at.astimezone(UTC)
    assert f"DTSTART:{start:%Y%m%dT%H%M%S}Z\r\n" in body


def test_a_showing_is_an_event_in_utc_with_address_client_and_link(personas, showing):
    uid = f"showing-{showing.pk}@{personas.brokerage.slug}.brokerage-crm"
    event = events(agent_calendar(agent=personas.agent))[uid]
    assert event["dtstart"].dt == showing.starts_at.astimezone(UTC)
    assert event["dtstart"].dt.utcoffset() == timedelta(0)
    assert event["dtend"].dt == showing.ends_at.astimezone(UTC)
    assert event["dtstamp"].dt.utcoffset() == timedelta(0)
    assert str(event["summary"]) == "Showing: 12 Oak St with Jo Buyer"
    assert str(event["location"]).startswith("12 Oak St, Springfield")
    description = str(event["description"])
    assert "Client: Jo Buyer" in description
    assert "Lockbox 1234" in description
    assert f"/clients/showings/{showing.pk}/" in description
    assert str(event["status"]) == "TENTATIVE"
    assert event["sequence"] == 0


def test_uids_and_content_are_stable_from_one_fetch_to_the_next(personas, showing, task):
    first = agent_calendar(agent=personas.agent)
    second = agent_calendar(agent=personas.agent)
    assert set(events(first)) == set(events(second))
    assert len(events(first)) == 2
    assert first == second


def test_a_cancelled_showing_stays_in_the_feed_as_cancelled(personas, showing):
    showing_cancel(showing=showing, actor=personas.agent.user)
    (event,) = events(agent_calendar(agent=personas.agent)).values()
    assert str(event["status"]) == "CANCELLED"
    assert str(event["summary"]).startswith("Cancelled: ")
    assert str(event["transp"]) == "TRANSPARENT"
    assert event["sequence"] == 1


def test_an_open_task_is_an_all_day_event_that_does_not_block_time(personas, task):
    (event,) = events(agent_calendar(agent=personas.agent)).values()
    assert str(event["uid"]) == f"task-{task.pk}@{personas.brokerage.slug}.brokerage-crm"
    assert event["dtstart"].dt == task.due_date
    assert not isinstance(event["dtstart"].dt, datetime)
    assert event["dtend"].dt == task.due_date + timedelta(days=1)
    assert str(event["summary"]) == "Task: Send comps to Jo"
    assert str(event["transp"]) == "TRANSPARENT"
    assert "dtstamp" in event


def test_a_done_task_leaves_the_feed(personas, task):
    task_complete(task=task, actor=personas.agent.user)
    assert events(agent_calendar(agent=personas.agent)) == {}


def test_the_feed_holds_only_the_agents_own_showings_and_tasks(personas, showing, task):
    colleague_listing = make_listing(personas.colleague.user)
    book(personas.colleague.user, colleague_listing, at(14))
    task_create(
        data={"title": "Colleague's task", "due_date": timezone.localdate()},
        actor=personas.colleague.user,
    )
    uids = set(events(agent_calendar(agent=personas.agent)))
    assert uids == {
        f"showing-{showing.pk}@{personas.brokerage.slug}.brokerage-crm",
        f"task-{task.pk}@{personas.brokerage.slug}.brokerage-crm",
    }


def test_the_feed_covers_a_month_back_and_half_a_year_ahead(personas, oak):
    recent = book(personas.agent.user, oak, at(10, days=-20))
    old = book(personas.agent.user, oak, at(10, days=-40))
    far = book(personas.agent.user, oak, at(10, days=200))
    uids = set(events(agent_calendar(agent=personas.agent)))
    slug = personas.brokerage.slug
    assert f"showing-{recent.pk}@{slug}.brokerage-crm" in uids
    assert f"showing-{old.pk}@{slug}.brokerage-crm" not in uids
    assert f"showing-{far.pk}@{slug}.brokerage-crm" not in uids


# ---------- The public address ----------


def test_the_feed_address_answers_without_signing_in(client, personas, feed, showing):
    response = client.get(feed_url(feed))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response["Cache-Control"]
    assert "max-age=900" in response["Cache-Control"]
    assert response["ETag"]
    assert f"showing-{showing.pk}@" in response.content.decode()


def test_an_unchanged_feed_answers_304_to_a_conditional_fetch(client, feed, showing):
    etag = client.get(feed_url(feed))["ETag"]
    assert client.get(feed_url(feed), HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_an_unknown_address_is_a_404(client, feed):
    assert client.get(reverse("clients:calendar-feed", args=["not-a-token"])).status_code == 404


def test_a_revoked_address_is_a_404(client, personas, feed):
    from clients.services.showings import calendar_feed_revoke

    calendar_feed_revoke(feed=feed, actor=personas.agent.user)
    assert client.get(feed_url(feed)).status_code == 404


def test_rotating_gives_a_new_address_and_the_old_one_is_a_404(client, personas, feed):
    new = calendar_feed_create(agent=personas.agent, actor=personas.agent.user)
    assert new.token != feed.token
    assert client.get(feed_url(feed)).status_code == 404
    assert client.get(feed_url(new)).status_code == 200


def test_the_address_of_an_agent_who_left_is_a_404(client, personas, feed):
    personas.agent.is_active = False
    personas.agent.save()
    assert client.get(feed_url(feed)).status_code == 404


def test_the_feed_address_only_answers_reads(client, feed):
    assert client.post(feed_url(feed)).status_code == 405


def test_the_feed_uses_a_constant_number_of_queries(
    client, personas, oak, feed, django_assert_num_queries
):
    for day in range(1, 6):
        buyer = make_client(personas.agent.user)
        book(personas.agent.user, oak, at(10, days=day), client=buyer)
        task_create(
            data={"title": f"Task {day}", "due_date": timezone.localdate(), "client": buyer},
            actor=personas.agent.user,
        )
    # the feed with its agent, the showings with listing and client, the tasks with client
    with django_assert_num_queries(3):
        assert client.get(feed_url(feed)).status_code == 200


# ---------- The settings page ----------


def settings_url():
    return reverse("clients:calendar-feed-settings")


@pytest.mark.parametrize("persona", ["agent", "colleague", "assistant", "viewer", "broker"])
def test_members_open_their_calendar_feed_settings(client_for, persona):
    response = client_for(persona).get(settings_url())
    assert response.status_code == 200
    assert "Make my calendar address" in response.content.decode()


def test_anonymous_visitor_is_sent_to_login_from_the_feed_settings(client_for):
    for url, method in (
        (settings_url(), "get"),
        (reverse("clients:calendar-feed-create"), "post"),
        (reverse("clients:calendar-feed-revoke"), "post"),
    ):
        response = getattr(client_for("anonymous"), method)(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert not CalendarFeed.objects.exists()


def test_settings_page_makes_shows_rotates_and_turns_off_the_address(
    client_for, personas, settings
):
    settings.SITE_URL = "https://crm.example.com/"
    browser = client_for("agent")
    response = browser.post(reverse("clients:calendar-feed-create"), follow=True)
    feed = CalendarFeed.objects.get(agent=personas.agent, revoked_at__isnull=True)
    content = response.content.decode()
    assert f"https://crm.example.com/clients/calendar/{feed.token}.ics" in content
    assert f"webcal://crm.example.com/clients/calendar/{feed.token}.ics" in content
    browser.post(reverse("clients:calendar-feed-create"))
    new = CalendarFeed.objects.get(agent=personas.agent, revoked_at__isnull=True)
    assert new.token != feed.token
    browser.post(reverse("clients:calendar-feed-revoke"))
    assert not CalendarFeed.objects.filter(revoked_at__isnull=True).exists()
    assert browser.post(reverse("clients:calendar-feed-revoke")).status_code == 404


def test_a_colleague_never_sees_or_touches_another_agents_address(client_for, personas, feed):
    content = client_for("colleague").get(settings_url()).content.decode()
    assert feed.token not in content
    client_for("colleague").post(reverse("clients:calendar-feed-revoke"))
    feed.refresh_from_db()
    assert feed.revoked_at is None


def test_the_feed_pages_are_post_only_for_changes(client_for, feed):
    assert client_for("agent").get(reverse("clients:calendar-feed-create")).status_code == 405
    assert client_for("agent").get(reverse("clients:calendar-feed-revoke")).status_code == 405


# ---------- The API endpoint ----------


def test_api_gives_rotates_and_revokes_the_callers_address(api_for, personas, client):
    api = api_for("agent")
    assert api.get(API_URL).status_code == 404
    created = api.post(API_URL)
    assert created.status_code == 201
    first_url = created.data["url"]
    assert first_url.endswith(".ics")
    assert api.get(API_URL).data["url"] == first_url
    rotated = api.post(API_URL).data["url"]
    assert rotated != first_url
    old_path = "/" + first_url.split("/", 3)[3]
    assert client.get(old_path).status_code == 404
    assert api.delete(API_URL).status_code == 204
    assert api.get(API_URL).status_code == 404
    assert api.delete(API_URL).status_code == 404


def test_api_calendar_feed_is_per_person(api_for, personas, feed):
    assert api_for("colleague").get(API_URL).status_code == 404
    assert api_for("colleague").delete(API_URL).status_code == 404
    assert api_for("stranger").get(API_URL).status_code == 404
    feed.refresh_from_db()
    assert feed.revoked_at is None


def test_api_calendar_feed_needs_a_signed_in_caller(api_for, feed):
    api = api_for("anonymous")
    assert api.get(API_URL).status_code == 401
    assert api.post(API_URL).status_code == 401
    assert api.delete(API_URL).status_code == 401
    feed.refresh_from_db()
    assert feed.revoked_at is None


# ---------- The week ----------


def test_a_week_starts_on_sunday_in_the_united_states():
    assert week_start(date(2025, 3, 5)) == date(2025, 3, 2)
    assert week_start(date(2025, 3, 2)) == date(2025, 3, 2)


def test_the_week_places_showings_by_time_and_tasks_by_day(personas, oak, task):
    showing_day = timezone.localdate() + timedelta(days=2)
    book(personas.agent.user, oak, at(14, days=2), minutes=60)
    week = calendar_week(agent=personas.agent, user=personas.agent.user, day=showing_day)
    (entry,) = next(d for d in week.days if d.day == showing_day).entries
    hours = week.last_hour - week.first_hour
    assert entry.top == pytest.approx(100 * (14 - week.first_hour) / hours, abs=0.01)
    assert entry.height == pytest.approx(100 / hours, abs=0.01)
    task_day = next(d for d in week.days if d.day == task.due_date)
    assert task_day.tasks == [task]


def test_overlapping_entries_are_laid_side_by_side(personas, oak):
    cancelled = book(personas.agent.user, oak, at(14))
    showing_cancel(showing=cancelled, actor=personas.agent.user)
    book(personas.agent.user, oak, at(14))
    week = calendar_week(agent=personas.agent, user=personas.agent.user, day=at(14).date())
    day = next(d for d in week.days if d.entries)
    assert sorted((e.lane, e.lanes) for e in day.entries) == [(0, 2), (1, 2)]
    assert {e.width for e in day.entries} == {50}


def test_an_early_showing_widens_the_day(personas, oak):
    book(personas.agent.user, oak, at(6, 30))
    week = calendar_week(agent=personas.agent, user=personas.agent.user, day=at(6).date())
    assert week.first_hour == 6


def test_a_showing_apart_from_an_overlap_keeps_the_whole_column(personas, oak):
    cancelled = book(personas.agent.user, oak, at(14))
    showing_cancel(showing=cancelled, actor=personas.agent.user)
    book(personas.agent.user, oak, at(14))
    morning = book(personas.agent.user, oak, at(9))
    week = calendar_week(agent=personas.agent, user=personas.agent.user, day=at(14).date())
    (day,) = [d for d in week.days if d.entries]
    widths = {entry.showing.pk: entry.width for entry in day.entries}
    assert widths.pop(morning.pk) == 100
    assert set(widths.values()) == {50}
