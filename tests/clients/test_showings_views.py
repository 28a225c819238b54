"""The showing pages and the week calendar, for every persona."""

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.choices import ActivityKind, ShowingStatus
from clients.models import Showing
from clients.services.people import task_create
from clients.services.showings import showing_cancel, showing_confirm, showing_create
from tests.testing.factories import make_client, make_listing

pytestmark = pytest.mark.django_db

IN_BROKERAGE_WITHOUT_ACCESS = ("colleague", "assistant", "viewer")


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


def url(name, *args):
    return reverse(f"clients:{name}", args=args)


def assert_redirects_to_login(response):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def listed_pks(response):
    return {showing.pk for showing in response.context["object_list"]}


@pytest.fixture
def oak(personas):
    return make_listing(
        personas.agent.user, street_number="12", street_name="Oak", street_suffix="St"
    )


@pytest.fixture
def buyer(personas):
    return make_client(personas.agent.user, first_name="Jo", last_name="Buyer")


@pytest.fixture
def showing(personas, oak, buyer):
    """The agent's showing tomorrow at 2 PM."""
    return book(personas.agent.user, oak, at(14), client=buyer)


@pytest.fixture
def started(personas, oak, buyer):
    """The agent's showing that started half an hour ago."""
    starts = timezone.now() - timedelta(minutes=30)
    return book(personas.agent.user, oak, starts, minutes=60, client=buyer)


def snapshot(showing):
    showing = Showing.objects.get(pk=showing.pk)
    return (
        showing.status,
        showing.starts_at,
        showing.ends_at,
        showing.notes,
        showing.feedback,
        showing.updated_at,
    )


def form_data(listing, *, client=None, day=None, start="14:00", duration=30, **extra):
    day = day or timezone.localdate() + timedelta(days=1)
    data = {
        "listing": listing.pk,
        "client": client.pk if client else "",
        "date": day.isoformat(),
        "start_time": start,
        "duration": duration,
        "notes": "",
    }
    data.update(extra)
    return data


# ---------- List ----------


def test_agent_lists_their_upcoming_showings(client_for, personas, showing):
    past = book(personas.agent.user, showing.listing, at(10, days=-3))
    response = client_for("agent").get(url("showings"))
    assert response.status_code == 200
    assert listed_pks(response) == {showing.pk}
    content = response.content.decode()
    assert "12 Oak St" in content and "Jo Buyer" in content
    assert listed_pks(client_for("agent").get(url("showings"), {"when": "past"})) == {past.pk}
    assert listed_pks(client_for("agent").get(url("showings"), {"when": "all"})) == {
        showing.pk,
        past.pk,
    }


@pytest.mark.parametrize("persona", [*IN_BROKERAGE_WITHOUT_ACCESS, "stranger"])
def test_others_do_not_see_the_agents_showings_in_the_list(client_for, showing, persona):
    response = client_for(persona).get(url("showings"), {"when": "all"})
    assert response.status_code == 200
    assert listed_pks(response) == set()
    assert "12 Oak St" not in response.content.decode()


def test_broker_sees_every_showing_of_the_brokerage_and_filters_by_agent(
    client_for, personas, showing
):
    theirs = book(personas.colleague.user, make_listing(personas.colleague.user), at(10))
    book(personas.stranger.user, make_listing(personas.stranger.user), at(10))
    broker = client_for("broker")
    assert listed_pks(broker.get(url("showings"))) == {showing.pk, theirs.pk}
    only_agent = broker.get(url("showings"), {"agent": personas.agent.pk})
    assert listed_pks(only_agent) == {showing.pk}
    assert personas.colleague.name in broker.get(url("showings")).content.decode()


def test_an_agent_cannot_filter_on_a_colleague(client_for, personas, showing):
    response = client_for("colleague").get(url("showings"), {"agent": personas.agent.pk})
    assert listed_pks(response) == set()


def test_anonymous_visitor_is_sent_to_login_from_the_list(client_for, showing):
    assert_redirects_to_login(client_for("anonymous").get(url("showings")))


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": ["confirmed"]}, {"confirmed"}),
        ({"status": ["requested", "cancelled"]}, {"requested", "cancelled"}),
        ({"when": "all", "status": ["cancelled"]}, {"cancelled"}),
        ({"from": "DAY3"}, {"cancelled"}),
        ({"to": "DAY2"}, {"requested", "confirmed"}),
        ({"from": "DAY2", "to": "DAY2"}, {"confirmed"}),
    ],
)
def test_list_filters_by_status_and_dates(client_for, personas, oak, params, expected):
    agent = personas.agent.user
    made = {
        "requested": book(agent, oak, at(10, days=1)),
        "confirmed": book(agent, oak, at(10, days=2)),
        "cancelled": book(agent, oak, at(10, days=3)),
    }
    showing_confirm(showing=made["confirmed"], actor=agent)
    showing_cancel(showing=made["cancelled"], actor=agent)
    days = {f"DAY{n}": (timezone.localdate() + timedelta(days=n)).isoformat() for n in (2, 3)}
    params = {
        key: days.get(value, value) if key in ("from", "to") else value
        for key, value in params.items()
    }
    response = client_for("agent").get(url("showings"), params)
    assert listed_pks(response) == {made[name].pk for name in expected}


def test_list_empty_state_says_what_to_do_next(client_for):
    content = client_for("agent").get(url("showings")).content.decode()
    assert "No upcoming showings" in content
    assert url("showing-create") in content


def test_viewer_is_not_offered_to_book(client_for):
    assert url("showing-create") not in client_for("viewer").get(url("showings")).content.decode()


def test_htmx_request_gets_only_the_results(client_for, showing):
    response = client_for("agent").get(url("showings"), HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert "<html" not in content and "12 Oak St" in content
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("count", [3, 30])
def test_list_page_uses_a_constant_number_of_queries(
    client_for, personas, oak, django_assert_num_queries, count
):
    for n in range(count):
        buyer = make_client(personas.agent.user)
        book(personas.agent.user, oak, at(8, days=1) + timedelta(hours=n), client=buyer)
    browser = client_for("agent")
    # session, user, agent profile with role, count, page of showings (listing, client, agent)
    with django_assert_num_queries(5):
        response = browser.get(url("showings"), {"page_size": "50"})
    assert len(response.context["object_list"]) == count


def test_list_page_of_a_broker_uses_a_constant_number_of_queries(
    client_for, personas, oak, django_assert_num_queries
):
    for n in range(12):
        book(personas.agent.user, oak, at(8, days=1) + timedelta(hours=n))
    browser = client_for("broker")
    # session, user, agent profile with role, count, page of showings, the agent filter's choices
    with django_assert_num_queries(6):
        browser.get(url("showings"))


def test_list_pages_keep_the_filters(client_for, personas, oak):
    for n in range(30):
        book(personas.agent.user, oak, at(8, days=1) + timedelta(hours=n))
    content = client_for("agent").get(url("showings"), {"status": "requested"}).content.decode()
    assert "?status=requested&amp;page=2" in content


# ---------- Detail ----------


@pytest.mark.parametrize("persona", ["agent", "broker"])
def test_agent_and_broker_open_the_showing(client_for, showing, persona):
    response = client_for(persona).get(url("showing-detail", showing.pk))
    assert response.status_code == 200
    content = response.content.decode()
    assert "12 Oak St" in content and "Jo Buyer" in content
    assert url("showing-confirm", showing.pk) in content
    assert url("showing-cancel", showing.pk) in content


@pytest.mark.parametrize("persona", [*IN_BROKERAGE_WITHOUT_ACCESS, "stranger"])
def test_others_get_404_for_the_agents_showing(client_for, showing, persona):
    assert client_for(persona).get(url("showing-detail", showing.pk)).status_code == 404


def test_anonymous_visitor_is_sent_to_login_from_a_showing(client_for, showing):
    assert_redirects_to_login(client_for("anonymous").get(url("showing-detail", showing.pk)))


def test_detail_offers_feedback_only_once_the_showing_has_started(client_for, showing, started):
    assert (
        "How did it go?"
        not in client_for("agent").get(url("showing-detail", showing.pk)).content.decode()
    )
    content = client_for("agent").get(url("showing-detail", started.pk)).content.decode()
    assert "How did it go?" in content
    assert url("showing-complete", started.pk) in content


def test_detail_shows_the_time_in_the_clients_time_zone_too(client_for, personas, oak):
    traveller = make_client(personas.agent.user, time_zone="America/Los_Angeles")
    showing = book(personas.agent.user, oak, at(14), client=traveller)
    content = client_for("agent").get(url("showing-detail", showing.pk)).content.decode()
    assert "11:00 AM P" in content
    assert "America/Los_Angeles" in content


# ---------- Create ----------


@pytest.mark.parametrize("persona", ["agent", "colleague", "assistant", "broker"])
def test_writers_open_the_booking_form(client_for, persona):
    assert client_for(persona).get(url("showing-create")).status_code == 200


def test_viewer_cannot_book_a_showing(client_for, oak):
    browser = client_for("viewer")
    assert browser.get(url("showing-create")).status_code == 403
    assert browser.post(url("showing-create"), form_data(oak)).status_code == 403
    assert not Showing.objects.exists()


def test_anonymous_visitor_cannot_book(client_for, oak):
    assert_redirects_to_login(client_for("anonymous").post(url("showing-create"), form_data(oak)))
    assert not Showing.objects.exists()


def test_booking_form_is_prefilled_from_the_listing_and_the_client(client_for, oak, buyer):
    response = client_for("agent").get(
        url("showing-create"), {"listing": oak.pk, "client": buyer.pk}
    )
    form = response.context["form"]
    assert form["listing"].value() == oak.pk
    assert form["client"].value() == buyer.pk
    assert "agent" not in form.fields


def test_booking_form_offers_only_the_clients_the_person_works_with(client_for, personas, buyer):
    theirs = make_client(personas.colleague.user)
    form = client_for("agent").get(url("showing-create")).context["form"]
    assert set(form.fields["client"].queryset) == {buyer}
    assert theirs not in form.fields["client"].queryset


def test_broker_books_on_an_agents_calendar(client_for, personas, oak, buyer):
    response = client_for("broker").post(
        url("showing-create"), form_data(oak, client=buyer, agent=personas.agent.pk)
    )
    showing = Showing.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("showing-detail", showing.pk)
    assert showing.agent == personas.agent


def test_booking_creates_the_showing_and_writes_the_timeline(client_for, personas, oak, buyer):
    response = client_for("agent").post(
        url("showing-create"), form_data(oak, client=buyer, start="15:15", duration=45)
    )
    showing = Showing.objects.get()
    assert response["Location"] == url("showing-detail", showing.pk)
    assert showing.starts_at == at(15, 15)
    assert showing.ends_at == at(16)
    assert showing.agent == personas.agent
    assert buyer.activities.filter(details__event="booked").exists()


def test_a_conflict_is_shown_and_what_was_typed_is_kept(client_for, showing, oak):
    response = client_for("agent").post(
        url("showing-create"), form_data(oak, start="14:15", notes="Second visit")
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "You already have a showing at 12 Oak St from 2:00 PM to 2:30 PM." in content
    assert "Second visit" in content
    assert Showing.objects.count() == 1


def test_a_missing_field_is_shown_next_to_it(client_for, oak):
    response = client_for("agent").post(url("showing-create"), form_data(oak, start=""))
    assert response.status_code == 200
    assert response.context["form"].errors["start_time"]
    assert not Showing.objects.exists()


def test_an_agent_cannot_book_a_listing_of_another_brokerage(client_for, personas):
    theirs = make_listing(personas.stranger.user)
    response = client_for("agent").post(url("showing-create"), form_data(theirs))
    assert "listing" in response.context["form"].errors
    assert not Showing.objects.exists()


# ---------- Edit ----------


@pytest.mark.parametrize("persona", ["agent", "broker"])
def test_agent_and_broker_reschedule(client_for, showing, oak, buyer, persona):
    showing_confirm(showing=showing, actor=showing.agent.user)
    browser = client_for(persona)
    assert browser.get(url("showing-edit", showing.pk)).status_code == 200
    data = form_data(oak, client=buyer, start="16:00")
    if persona == "broker":
        data["agent"] = showing.agent_id
    response = browser.post(url("showing-edit", showing.pk), data)
    assert response.status_code == 302
    showing.refresh_from_db()
    assert showing.starts_at == at(16)
    assert showing.status == ShowingStatus.REQUESTED


def test_edit_form_starts_with_the_showings_values(client_for, showing):
    form = client_for("agent").get(url("showing-edit", showing.pk)).context["form"]
    assert form["start_time"].value().strftime("%H:%M") == "14:00"
    assert form["duration"].value() == 30
    assert form["listing"].value() == showing.listing_id


@pytest.mark.parametrize("persona", [*IN_BROKERAGE_WITHOUT_ACCESS, "stranger"])
def test_others_get_404_on_edit_and_nothing_changes(client_for, showing, oak, persona):
    before = snapshot(showing)
    browser = client_for(persona)
    assert browser.get(url("showing-edit", showing.pk)).status_code == 404
    response = browser.post(url("showing-edit", showing.pk), form_data(oak, start="09:00"))
    assert response.status_code == 404
    assert snapshot(showing) == before


def test_anonymous_visitor_cannot_edit(client_for, showing, oak):
    before = snapshot(showing)
    assert_redirects_to_login(
        client_for("anonymous").post(url("showing-edit", showing.pk), form_data(oak))
    )
    assert snapshot(showing) == before


# ---------- Actions ----------


@pytest.mark.parametrize("persona", ["agent", "broker"])
def test_agent_and_broker_confirm_and_cancel(client_for, showing, buyer, persona):
    browser = client_for(persona)
    assert browser.post(url("showing-confirm", showing.pk)).status_code == 302
    showing.refresh_from_db()
    assert showing.status == ShowingStatus.CONFIRMED
    browser.post(url("showing-cancel", showing.pk), {"reason": "Seller withdrew"})
    showing.refresh_from_db()
    assert showing.status == ShowingStatus.CANCELLED
    assert buyer.activities.get(details__event="cancelled").body == "Seller withdrew"


@pytest.mark.parametrize("persona", [*IN_BROKERAGE_WITHOUT_ACCESS, "stranger"])
def test_others_get_404_on_every_action_and_nothing_changes(client_for, started, persona):
    before = snapshot(started)
    browser = client_for(persona)
    responses = {
        "confirm": browser.post(url("showing-confirm", started.pk)),
        "cancel": browser.post(url("showing-cancel", started.pk)),
        "complete": browser.post(url("showing-complete", started.pk), {"feedback": "Nice"}),
        "complete page": browser.get(url("showing-complete", started.pk)),
    }
    assert {name: r.status_code for name, r in responses.items()} == dict.fromkeys(responses, 404)
    assert snapshot(started) == before


def test_anonymous_visitor_cannot_act_on_a_showing(client_for, started):
    before = snapshot(started)
    for name in ("showing-confirm", "showing-cancel", "showing-complete"):
        assert_redirects_to_login(client_for("anonymous").post(url(name, started.pk)))
    assert snapshot(started) == before


def test_actions_are_post_only(client_for, showing):
    for name in ("showing-confirm", "showing-cancel"):
        assert client_for("agent").get(url(name, showing.pk)).status_code == 405


def test_confirming_twice_says_why_not(client_for, showing):
    browser = client_for("agent")
    browser.post(url("showing-confirm", showing.pk))
    response = browser.post(url("showing-confirm", showing.pk), follow=True)
    assert "Only a requested showing can be confirmed" in response.content.decode()


def test_completing_records_the_feedback_on_the_timeline(client_for, started, buyer):
    response = client_for("agent").post(
        url("showing-complete", started.pk), {"feedback": "Loved the garden", "rating": "5"}
    )
    assert response["Location"] == url("showing-detail", started.pk)
    started.refresh_from_db()
    assert started.status == ShowingStatus.COMPLETED
    assert started.feedback_rating == 5
    activity = buyer.activities.get(kind=ActivityKind.SHOWING)
    assert "Loved the garden" in activity.body


def test_completing_before_the_start_keeps_what_was_typed(client_for, showing):
    response = client_for("agent").post(
        url("showing-complete", showing.pk), {"feedback": "Too early", "rating": "3"}
    )
    assert response.status_code == 200
    assert "Feedback can be recorded once the showing has started." in response.content.decode()
    showing.refresh_from_db()
    assert showing.status == ShowingStatus.REQUESTED


def test_a_bad_rating_is_shown_next_to_the_field(client_for, started):
    response = client_for("agent").post(
        url("showing-complete", started.pk), {"feedback": "Fine", "rating": "9"}
    )
    assert response.context["form"].errors["rating"]
    started.refresh_from_db()
    assert started.status == ShowingStatus.REQUESTED


# ---------- Week calendar ----------


@pytest.mark.parametrize(
    "persona", ["agent", "colleague", "assistant", "viewer", "broker", "stranger"]
)
def test_every_member_opens_their_own_week(client_for, showing, persona):
    response = client_for(persona).get(url("calendar"), {"date": at(14).date().isoformat()})
    assert response.status_code == 200
    assert ("12 Oak St" in response.content.decode()) is (persona == "agent")


def test_the_week_shows_showings_tasks_and_links_to_the_next_week(client_for, personas, showing):
    task_create(
        data={"title": "Call the lender", "due_date": at(14).date()}, actor=personas.agent.user
    )
    day = at(14).date()
    response = client_for("agent").get(url("calendar"), {"date": day.isoformat()})
    content = response.content.decode()
    assert "12 Oak St" in content and "Jo Buyer" in content
    assert "Call the lender" in content
    assert "2:00 PM – 2:30 PM" in content
    assert url("showing-detail", showing.pk) in content
    week = response.context["week"]
    assert f"date={week.next.isoformat()}" in content
    assert f"date={week.previous.isoformat()}" in content
    assert "css/calendar.css" in content


def test_broker_picks_an_agent_of_the_brokerage(client_for, personas, showing):
    response = client_for("broker").get(
        url("calendar"), {"agent": personas.agent.pk, "date": at(14).date().isoformat()}
    )
    assert response.status_code == 200
    assert "12 Oak St" in response.content.decode()
    assert personas.agent.name in response.content.decode()


@pytest.mark.parametrize("persona", ["colleague", "assistant", "stranger"])
def test_nobody_else_opens_the_agents_week(client_for, personas, showing, persona):
    response = client_for(persona).get(url("calendar"), {"agent": personas.agent.pk})
    assert response.status_code == 404


def test_broker_cannot_open_another_brokerages_agent(client_for, personas):
    response = client_for("broker").get(url("calendar"), {"agent": personas.stranger.pk})
    assert response.status_code == 404


def test_a_bad_date_falls_back_to_this_week(client_for):
    response = client_for("agent").get(url("calendar"), {"date": "someday"})
    assert response.context["week"].start <= timezone.localdate() <= response.context["week"].end


def test_anonymous_visitor_is_sent_to_login_from_the_calendar(client_for):
    assert_redirects_to_login(client_for("anonymous").get(url("calendar")))


def test_the_week_uses_a_constant_number_of_queries(
    client_for, personas, oak, django_assert_num_queries
):
    day = at(8).date()
    for n in range(6):
        book(
            personas.agent.user,
            oak,
            at(8) + timedelta(hours=n),
            client=make_client(personas.agent.user),
        )
        task_create(data={"title": f"Task {n}", "due_date": day}, actor=personas.agent.user)
    browser = client_for("agent")
    # session, user, agent profile with role, the agent choice, the showings, the tasks
    with django_assert_num_queries(6):
        browser.get(url("calendar"), {"date": day.isoformat()})


# ---------- The include for client and listing pages ----------


def test_showing_list_include_renders_for_a_client_page(personas, showing, buyer):
    from django.template.loader import render_to_string

    from clients.calendar import showing_list
    from realestate.permissions import restrict

    showings = restrict(showing_list(), personas.agent.user).filter(client=buyer)
    html = render_to_string(
        "clients/includes/showing_list.html",
        {"showings": showings, "showing_book_query": f"client={buyer.pk}", "hide_client": True},
    )
    assert "12 Oak St" in html
    assert "Jo Buyer" not in html
    assert f"{url('showing-create')}?client={buyer.pk}" in html
    assert url("showing-detail", showing.pk) in html
    empty = render_to_string("clients/includes/showing_list.html", {"showings": []})
    assert "No showings yet." in empty
    assert url("showing-create") not in empty


def test_a_service_error_on_a_field_the_form_lacks_is_shown_next_to_the_time(
    client_for, oak, monkeypatch
):
    from clients.views import showings as views

    def refuse(**kwargs):
        raise views.ValidationError({"ends_at": "Too long.", "sequence": "Odd."})

    monkeypatch.setattr(views, "showing_create", refuse)
    response = client_for("agent").post(url("showing-create"), form_data(oak))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["duration"] == ["Too long."]
    assert form.non_field_errors() == ["Odd."]


def test_dates_at_the_ends_of_the_calendar_are_handled(client_for, oak):
    browser = client_for("agent")
    response = browser.post(
        url("showing-create"), form_data(oak, date="9999-12-31", start="23:00", duration=180)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["date"]
    assert browser.get(url("calendar"), {"date": "9999-12-31"}).status_code == 200
    assert browser.get(url("calendar"), {"date": "0001-01-01"}).status_code == 200
    extremes = {"to": "9999-12-31", "from": "0001-01-01"}
    assert browser.get(url("showings"), extremes).status_code == 200
