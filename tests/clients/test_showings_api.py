"""The showings API, for every persona."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from clients.choices import ActivityKind, ShowingStatus
from clients.models import Showing
from clients.services.showings import showing_cancel, showing_confirm, showing_create
from tests.testing.factories import make_client, make_listing

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/showings/"
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


def detail_url(showing, action=""):
    return f"/api/v1/showings/{showing.pk}/{action + '/' if action else ''}"


def payload(listing, starts_at, minutes=30, **extra):
    return {
        "listing": listing.pk,
        "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + timedelta(minutes=minutes)).isoformat(),
        **extra,
    }


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
    """The agent's showing that started half an hour ago, so every action applies."""
    return book(personas.agent.user, oak, timezone.now() - timedelta(minutes=30), 60, client=buyer)


def snapshot(showing):
    showing = Showing.objects.get(pk=showing.pk)
    return (
        showing.status,
        showing.starts_at,
        showing.ends_at,
        showing.notes,
        showing.feedback,
        showing.updated_at,
        showing.client.activities.count(),
    )


def request_each(api, showing, oak):
    """One request to every endpoint that names the showing, as (label, response)."""
    return [
        ("GET", api.get(detail_url(showing))),
        ("PATCH", api.patch(detail_url(showing), {"notes": "Changed"})),
        ("PUT", api.put(detail_url(showing), payload(oak, at(9)))),
        ("confirm", api.post(detail_url(showing, "confirm"))),
        ("cancel", api.post(detail_url(showing, "cancel"), {"reason": "No"})),
        ("complete", api.post(detail_url(showing, "complete"), {"feedback": "x", "rating": 3})),
    ]


# ---------- Who may reach what ----------


def test_anonymous_gets_401_from_every_showing_endpoint(api_for, showing, oak):
    api = api_for("anonymous")
    before = snapshot(showing)
    responses = [
        ("GET list", api.get(LIST_URL)),
        ("POST list", api.post(LIST_URL, payload(oak, at(9)))),
        *request_each(api, showing, oak),
    ]
    codes = {label: response.status_code for label, response in responses}
    assert codes == dict.fromkeys(codes, 401)
    assert snapshot(showing) == before
    assert Showing.objects.count() == 1


@pytest.mark.parametrize("persona", [*IN_BROKERAGE_WITHOUT_ACCESS, "stranger"])
def test_others_get_404_for_every_endpoint_of_the_agents_showing(api_for, showing, oak, persona):
    before = snapshot(showing)
    responses = request_each(api_for(persona), showing, oak)
    codes = {label: response.status_code for label, response in responses}
    assert codes == dict.fromkeys(codes, 404)
    assert snapshot(showing) == before


@pytest.mark.parametrize("persona", [*IN_BROKERAGE_WITHOUT_ACCESS, "stranger"])
def test_others_do_not_list_the_agents_showing(api_for, showing, persona):
    assert api_for(persona).get(LIST_URL).data["results"] == []


@pytest.mark.parametrize("persona", ["agent", "broker"])
def test_agent_and_broker_read_the_showing(api_for, showing, persona):
    response = api_for(persona).get(detail_url(showing))
    assert response.status_code == 200
    assert response.data["listing_address"].startswith("12 Oak St")
    assert response.data["client_name"] == "Jo Buyer"
    assert response.data["status"] == "requested"
    assert response.data["status_label"] == "Requested"
    ids = [row["id"] for row in api_for(persona).get(LIST_URL).data["results"]]
    assert ids == [showing.pk]


def test_viewer_cannot_book(api_for, oak):
    response = api_for("viewer").post(LIST_URL, payload(oak, at(9)))
    assert response.status_code == 403
    assert not Showing.objects.exists()


# ---------- Writes ----------


def test_agent_books_through_the_api(api_for, personas, oak, buyer):
    response = api_for("agent").post(
        LIST_URL, payload(oak, at(9), client=buyer.pk, notes="Gate code 42")
    )
    assert response.status_code == 201
    showing = Showing.objects.get()
    assert response.data["id"] == showing.pk
    assert showing.agent == personas.agent
    assert showing.notes == "Gate code 42"
    assert response.data["agent"] == personas.agent.pk


def test_a_conflict_is_a_400_with_a_clear_non_field_error(api_for, personas, oak):
    book(personas.agent.user, oak, at(14))
    response = api_for("agent").post(LIST_URL, payload(oak, at(14, 15)))
    assert response.status_code == 400
    assert response.data == {
        "non_field_errors": ["You already have a showing at 12 Oak St from 2:00 PM to 2:30 PM."]
    }
    assert Showing.objects.count() == 1


def test_field_errors_come_back_on_their_fields(api_for, oak):
    response = api_for("agent").post(LIST_URL, payload(oak, at(9), minutes=0))
    assert response.status_code == 400
    assert response.data["ends_at"] == ["The showing must end after it starts."]


def test_another_brokerages_listing_or_client_does_not_exist(api_for, personas, oak):
    theirs = make_listing(personas.stranger.user)
    their_client = make_client(personas.stranger.user)
    response = api_for("agent").post(LIST_URL, payload(theirs, at(9), client=their_client.pk))
    assert response.status_code == 400
    assert set(response.data) == {"listing", "client"}


def test_a_colleagues_client_is_refused(api_for, personas, oak):
    theirs = make_client(personas.colleague.user)
    response = api_for("agent").post(LIST_URL, payload(oak, at(9), client=theirs.pk))
    assert response.status_code == 400
    assert "client" in response.data


def test_status_cannot_be_written(api_for, oak):
    response = api_for("agent").post(LIST_URL, payload(oak, at(9), status="completed"))
    assert response.status_code == 201
    assert Showing.objects.get().status == ShowingStatus.REQUESTED


def test_broker_books_for_an_agent(api_for, personas, oak):
    response = api_for("broker").post(LIST_URL, payload(oak, at(9), agent=personas.agent.pk))
    assert response.status_code == 201
    assert Showing.objects.get().agent == personas.agent


def test_patch_reschedules_and_checks_conflicts(api_for, personas, oak):
    book(personas.agent.user, oak, at(14))
    later = book(personas.agent.user, oak, at(16))
    api = api_for("agent")
    clash = api.patch(
        detail_url(later), {"starts_at": at(14).isoformat(), "ends_at": at(14, 30).isoformat()}
    )
    assert clash.status_code == 400
    assert "non_field_errors" in clash.data
    moved = api.patch(
        detail_url(later), {"starts_at": at(15).isoformat(), "ends_at": at(15, 30).isoformat()}
    )
    assert moved.status_code == 200
    later.refresh_from_db()
    assert later.starts_at == at(15)


def test_actions_confirm_cancel_and_complete(api_for, personas, oak, showing, buyer):
    api = api_for("agent")
    confirmed = api.post(detail_url(showing, "confirm"))
    assert confirmed.status_code == 200 and confirmed.data["status"] == "confirmed"
    completed = api.post(
        detail_url(showing, "complete"), {"feedback": "Liked the yard", "rating": 4}
    )
    assert completed.status_code == 200
    assert completed.data["status"] == "completed"
    assert completed.data["feedback_rating"] == 4
    assert buyer.activities.filter(kind=ActivityKind.SHOWING).exists()
    again = api.post(detail_url(showing, "cancel"))
    assert again.status_code == 400
    assert again.data == {"non_field_errors": ["This showing is already completed."]}
    other = book(personas.agent.user, oak, at(9))
    cancelled = api.post(detail_url(other, "cancel"), {"reason": "Rain"})
    assert cancelled.data["status"] == "cancelled"


def test_complete_before_the_start_is_refused(api_for, personas, oak):
    future = book(personas.agent.user, oak, at(9))
    response = api_for("agent").post(detail_url(future, "complete"), {"feedback": "x"})
    assert response.status_code == 400
    assert response.data == {
        "non_field_errors": ["Feedback can be recorded once the showing has started."]
    }


def test_a_rating_out_of_range_is_refused(api_for, showing):
    response = api_for("agent").post(detail_url(showing, "complete"), {"rating": 9})
    assert response.status_code == 400
    assert "rating" in response.data


def test_broker_confirms_an_agents_showing(api_for, showing):
    assert api_for("broker").post(detail_url(showing, "confirm")).status_code == 200


def test_there_is_no_delete(api_for, showing):
    assert api_for("agent").delete(detail_url(showing)).status_code == 405


# ---------- Filters and queries ----------


@pytest.fixture
def three(personas, oak):
    agent = personas.agent.user
    made = {
        "requested": book(agent, oak, at(10, days=1)),
        "confirmed": book(agent, oak, at(10, days=2)),
        "cancelled": book(agent, oak, at(10, days=3), client=make_client(agent)),
    }
    showing_confirm(showing=made["confirmed"], actor=agent)
    showing_cancel(showing=made["cancelled"], actor=agent)
    return made


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "confirmed"}, {"confirmed"}),
        ({"status": ["requested", "cancelled"]}, {"requested", "cancelled"}),
        ({"from": 2}, {"confirmed", "cancelled"}),
        ({"to": 2}, {"requested", "confirmed"}),
        ({"from": 2, "to": 2}, {"confirmed"}),
    ],
)
def test_list_filters(api_for, three, params, expected):
    days = {n: (timezone.localdate() + timedelta(days=n)).isoformat() for n in (1, 2, 3)}
    params = {key: days[value] if key in ("from", "to") else value for key, value in params.items()}
    response = api_for("agent").get(LIST_URL, params)
    assert {row["id"] for row in response.data["results"]} == {three[n].pk for n in expected}


def test_list_filters_by_client_and_listing(api_for, personas, three, oak):
    client = three["cancelled"].client
    response = api_for("agent").get(LIST_URL, {"client": client.pk})
    assert [row["id"] for row in response.data["results"]] == [three["cancelled"].pk]
    other = make_listing(personas.agent.user)
    assert api_for("agent").get(LIST_URL, {"listing": other.pk}).data["results"] == []
    assert len(api_for("agent").get(LIST_URL, {"listing": oak.pk}).data["results"]) == 3


def test_list_is_in_time_order(api_for, three):
    ids = [row["id"] for row in api_for("agent").get(LIST_URL).data["results"]]
    assert ids == [three[n].pk for n in ("requested", "confirmed", "cancelled")]


@pytest.mark.parametrize("count", [3, 30])
def test_list_uses_a_constant_number_of_queries(
    personas, oak, django_user_model, django_assert_num_queries, count
):
    for n in range(count):
        book(
            personas.agent.user,
            oak,
            at(8) + timedelta(hours=n),
            client=make_client(personas.agent.user),
        )
    api = APIClient()
    api.force_authenticate(django_user_model.objects.get(pk=personas.agent.user.pk))
    # the caller's agent profile with role, the count, the page with listing, client and agent
    with django_assert_num_queries(3):
        response = api.get(LIST_URL, {"page_size": 50})
    assert len(response.data["results"]) == count
