"""Showing services: booking rules, calendar conflicts, the client's timeline and reminders."""

import threading
from datetime import datetime, time, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clients.choices import ActivityKind, ShowingStatus
from clients.models import CalendarFeed, Showing
from clients.services.people import client_co_agents_set
from clients.services.showings import (
    calendar_feed_create,
    calendar_feed_revoke,
    showing_cancel,
    showing_complete,
    showing_confirm,
    showing_create,
    showing_reminders_send,
    showing_reschedule,
    showing_update,
)
from clients.tasks import showing_reminders_task
from realestate.permissions import restrict
from tests.testing.factories import make_client, make_listing

pytestmark = pytest.mark.django_db


def at(hour, minute=0, days=1):
    """An aware time ``days`` from today at ``hour:minute`` in the brokerage's time zone."""
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
        personas.agent.user, street_number="12", street_name="Oak", street_suffix="St"
    )


@pytest.fixture
def elm(personas):
    return make_listing(
        personas.colleague.user, street_number="7", street_name="Elm", street_suffix="Rd"
    )


@pytest.fixture
def buyer(personas):
    return make_client(personas.agent.user, first_name="Jo", last_name="Buyer")


def messages_of(exc):
    return " ".join(exc.value.messages)


# ---------- Booking ----------


def test_an_agent_books_a_requested_showing_on_their_own_calendar(personas, oak, buyer):
    showing = book(personas.agent.user, oak, at(14), client=buyer, notes="Lockbox 1234")
    assert showing.agent == personas.agent
    assert showing.brokerage == personas.brokerage
    assert showing.status == ShowingStatus.REQUESTED
    assert showing.notes == "Lockbox 1234"


def test_booking_is_written_on_the_clients_timeline(personas, oak, buyer):
    showing = book(personas.agent.user, oak, at(14), client=buyer)
    activity = buyer.activities.get(details__event="booked")
    assert activity.kind == ActivityKind.SYSTEM
    assert activity.subject.startswith("Showing booked: 12 Oak St, ")
    assert activity.listing == oak
    assert activity.details["showing"] == showing.pk


def test_a_colleagues_listing_of_the_brokerage_can_be_shown(personas, elm, buyer):
    assert book(personas.agent.user, elm, at(10), client=buyer).listing == elm


def test_a_listing_of_another_brokerage_is_refused(personas, buyer):
    theirs = make_listing(personas.stranger.user)
    with pytest.raises(ValidationError) as exc:
        book(personas.agent.user, theirs, at(10), client=buyer)
    assert "listing" in exc.value.message_dict
    assert not Showing.objects.exists()


def test_an_archived_listing_is_refused(personas, oak):
    from properties.services import listing_archive

    listing_archive(listing=oak, actor=personas.agent.user)
    with pytest.raises(ValidationError) as exc:
        book(personas.agent.user, oak, at(10))
    assert "archived" in exc.value.message_dict["listing"][0]


def test_a_colleagues_client_is_refused(personas, oak):
    theirs = make_client(personas.colleague.user)
    with pytest.raises(ValidationError) as exc:
        book(personas.agent.user, oak, at(10), client=theirs)
    assert exc.value.message_dict["client"] == ["Choose a client you work with."]


def test_a_client_shared_for_change_can_be_booked(personas, oak):
    shared = make_client(personas.colleague.user)
    client_co_agents_set(client=shared, agents=[personas.agent])
    assert book(personas.agent.user, oak, at(10), client=shared).client == shared


def test_an_agent_cannot_book_on_a_colleagues_calendar(personas, oak):
    with pytest.raises(ValidationError) as exc:
        book(personas.agent.user, oak, at(10), agent=personas.colleague)
    assert exc.value.message_dict["agent"] == ["You can only book showings on your own calendar."]


def test_a_broker_books_for_an_agent_of_the_brokerage(personas, oak, buyer):
    showing = book(personas.broker.user, oak, at(10), client=buyer, agent=personas.agent)
    assert showing.agent == personas.agent


def test_a_broker_cannot_name_a_client_the_agent_does_not_work_with(personas, oak, buyer):
    with pytest.raises(ValidationError) as exc:
        book(personas.broker.user, oak, at(10), client=buyer, agent=personas.colleague)
    assert exc.value.message_dict["client"] == [
        f"{personas.colleague.name} does not work with this client."
    ]


def test_an_assistant_who_books_for_an_agent_keeps_seeing_the_showing(personas, oak):
    showing = book(personas.assistant.user, oak, at(10), agent=personas.agent)
    assert showing.agent == personas.agent
    assert showing in restrict(Showing.objects.all(), personas.assistant.user)
    assert showing not in restrict(Showing.objects.all(), personas.colleague.user)


def test_an_agent_of_another_brokerage_cannot_be_named(personas, oak):
    with pytest.raises(ValidationError) as exc:
        book(personas.broker.user, oak, at(10), agent=personas.stranger)
    assert "agent" in exc.value.message_dict


@pytest.mark.parametrize("persona", ["viewer"])
def test_a_viewer_cannot_book(personas, oak, persona):
    with pytest.raises(PermissionDenied):
        book(personas.user(persona), oak, at(10))


def test_a_showing_must_end_after_it_starts(personas, oak):
    with pytest.raises(ValidationError) as exc:
        showing_create(
            data={"listing": oak, "starts_at": at(10), "ends_at": at(10)},
            actor=personas.agent.user,
        )
    assert exc.value.message_dict["ends_at"] == ["The showing must end after it starts."]


def test_a_showing_lasts_at_most_four_hours(personas, oak):
    with pytest.raises(ValidationError) as exc:
        book(personas.agent.user, oak, at(9), minutes=5 * 60)
    assert exc.value.message_dict["ends_at"] == ["A showing lasts at most 4 hours."]


def test_times_without_a_time_zone_are_refused(personas, oak):
    naive = datetime.combine(timezone.localdate(), time(10))
    with pytest.raises(ValidationError) as exc:
        showing_create(
            data={"listing": oak, "starts_at": naive, "ends_at": naive + timedelta(hours=1)},
            actor=personas.agent.user,
        )
    assert set(exc.value.message_dict) == {"starts_at", "ends_at"}


def test_a_listing_is_required(personas):
    with pytest.raises(ValidationError) as exc:
        showing_create(data={"starts_at": at(10), "ends_at": at(11)}, actor=personas.agent.user)
    assert "listing" in exc.value.message_dict


def test_system_fields_cannot_be_set(personas, oak):
    with pytest.raises(ValidationError) as exc:
        book(personas.agent.user, oak, at(10), status=ShowingStatus.COMPLETED)
    assert "status" in exc.value.message_dict


# ---------- Conflicts ----------


def test_an_overlapping_showing_is_refused_with_a_clear_message(personas, oak, elm):
    book(personas.agent.user, oak, at(14), minutes=30)
    with pytest.raises(ValidationError) as exc:
        book(personas.agent.user, elm, at(14, 15), minutes=30)
    assert messages_of(exc) == "You already have a showing at 12 Oak St from 2:00 PM to 2:30 PM."
    assert exc.value.code == "conflict"
    assert Showing.objects.count() == 1


@pytest.mark.parametrize(
    ("start", "minutes"),
    [((13, 45), 30), ((14, 10), 10), ((13, 0), 120), ((14, 29), 60)],
)
def test_every_kind_of_overlap_is_refused(personas, oak, elm, start, minutes):
    book(personas.agent.user, oak, at(14), minutes=30)
    with pytest.raises(ValidationError):
        book(personas.agent.user, elm, at(*start), minutes=minutes)


@pytest.mark.parametrize(("start", "minutes"), [((14, 30), 30), ((13, 30), 30)])
def test_showings_that_only_touch_are_allowed(personas, oak, elm, start, minutes):
    book(personas.agent.user, oak, at(14), minutes=30)
    book(personas.agent.user, elm, at(*start), minutes=minutes)
    assert Showing.objects.count() == 2


def test_a_cancelled_showing_does_not_block_its_time(personas, oak, elm):
    first = book(personas.agent.user, oak, at(14))
    showing_cancel(showing=first, actor=personas.agent.user)
    assert book(personas.agent.user, elm, at(14)).status == ShowingStatus.REQUESTED


def test_a_completed_showing_does_not_block_its_time(personas, oak, elm):
    first = book(personas.agent.user, oak, at(14))
    showing_complete(
        showing=first, feedback="", rating=None, actor=personas.agent.user, now=at(14, 5)
    )
    book(personas.agent.user, elm, at(14))


def test_a_confirmed_showing_blocks_its_time(personas, oak, elm):
    showing_confirm(showing=book(personas.agent.user, oak, at(14)), actor=personas.agent.user)
    with pytest.raises(ValidationError):
        book(personas.agent.user, elm, at(14))


def test_another_agents_calendar_is_unaffected(personas, oak, elm):
    book(personas.agent.user, oak, at(14))
    showing = book(personas.colleague.user, elm, at(14))
    assert showing.agent == personas.colleague


def test_a_broker_booking_for_an_agent_is_told_whose_calendar_is_taken(personas, oak, elm):
    book(personas.agent.user, oak, at(14))
    with pytest.raises(ValidationError) as exc:
        book(personas.broker.user, elm, at(14), agent=personas.agent)
    assert messages_of(exc) == (
        f"{personas.agent.name} already has a showing at 12 Oak St from 2:00 PM to 2:30 PM."
    )


def test_booking_takes_the_agents_calendar_lock_before_checking(personas, oak):
    with CaptureQueriesContext(connection) as queries:
        book(personas.agent.user, oak, at(14))
    sql = [query["sql"] for query in queries.captured_queries]
    lock = next(i for i, s in enumerate(sql) if 'FROM "agents_agent"' in s and "LIMIT" not in s)
    check = next(i for i, s in enumerate(sql) if 'FROM "clients_showing"' in s)
    insert = next(i for i, s in enumerate(sql) if s.startswith('INSERT INTO "clients_showing"'))
    assert lock < check < insert


@pytest.mark.django_db(transaction=True)
def test_two_bookings_at_once_cannot_both_take_the_same_time(personas, oak, elm):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one writer in at a time; the agent row lock is PostgreSQL's")
    first_booked, release, tick = threading.Event(), threading.Event(), threading.Event()
    outcome = {}

    def first():
        try:
            with transaction.atomic():
                outcome["first"] = book(personas.agent.user, oak, at(14)).pk
                first_booked.set()
                release.wait(10)  # commit only once the second booking waits on the lock
        finally:
            connections.close_all()

    def second():
        first_booked.wait(10)
        try:
            book(personas.agent.user, elm, at(14, 15))
            outcome["second"] = "booked"
        except ValidationError as exc:
            outcome["second"] = exc.messages
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_booked.wait(10)
    with connection.cursor() as cursor:
        for _ in range(200):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                break
            tick.wait(0.05)
    release.set()
    for thread in threads:
        thread.join(10)
    assert outcome["second"] == ["You already have a showing at 12 Oak St from 2:00 PM to 2:30 PM."]
    assert list(Showing.objects.values_list("pk", flat=True)) == [outcome["first"]]


# ---------- Changes ----------


def test_rescheduling_checks_conflicts_and_needs_confirming_again(personas, oak, elm):
    book(personas.agent.user, oak, at(14))
    showing = book(personas.agent.user, elm, at(16))
    showing_confirm(showing=showing, actor=personas.agent.user)
    with pytest.raises(ValidationError) as exc:
        showing_reschedule(
            showing=showing, starts_at=at(14, 15), ends_at=at(14, 45), actor=personas.agent.user
        )
    assert "12 Oak St" in messages_of(exc)
    showing.refresh_from_db()
    assert showing.starts_at == at(16) and showing.status == ShowingStatus.CONFIRMED
    showing_reschedule(
        showing=showing, starts_at=at(15), ends_at=at(15, 30), actor=personas.agent.user
    )
    showing.refresh_from_db()
    assert showing.starts_at == at(15)
    assert showing.status == ShowingStatus.REQUESTED
    assert showing.sequence == 2


def test_a_showing_moved_within_its_own_time_does_not_conflict_with_itself(personas, oak):
    showing = book(personas.agent.user, oak, at(14), minutes=30)
    showing_reschedule(
        showing=showing, starts_at=at(14, 15), ends_at=at(14, 45), actor=personas.agent.user
    )
    assert showing.starts_at == at(14, 15)


def test_a_reschedule_is_written_on_the_clients_timeline(personas, oak, buyer):
    showing = book(personas.agent.user, oak, at(14), client=buyer)
    showing_reschedule(
        showing=showing, starts_at=at(15), ends_at=at(15, 30), actor=personas.agent.user
    )
    assert buyer.activities.filter(details__event="rescheduled").exists()


def test_a_rescheduled_showing_is_reminded_again(personas, oak):
    showing = book(personas.agent.user, oak, at(14))
    Showing.objects.filter(pk=showing.pk).update(reminder_sent_at=timezone.now())
    showing.refresh_from_db()
    showing_reschedule(
        showing=showing, starts_at=at(15), ends_at=at(15, 30), actor=personas.agent.user
    )
    assert showing.reminder_sent_at is None


def test_notes_change_without_touching_the_status(personas, oak):
    showing = book(personas.agent.user, oak, at(14))
    showing_confirm(showing=showing, actor=personas.agent.user)
    showing_update(
        showing=showing, data={"notes": "Bring the disclosures"}, actor=personas.agent.user
    )
    showing.refresh_from_db()
    assert showing.notes == "Bring the disclosures"
    assert showing.status == ShowingStatus.CONFIRMED


def test_a_cancelled_showing_only_has_its_notes_changed(personas, oak):
    showing = book(personas.agent.user, oak, at(14))
    showing_cancel(showing=showing, actor=personas.agent.user)
    with pytest.raises(ValidationError) as exc:
        showing_reschedule(
            showing=showing, starts_at=at(15), ends_at=at(15, 30), actor=personas.agent.user
        )
    assert messages_of(exc) == "This showing is cancelled; only its notes can change."
    showing_update(showing=showing, data={"notes": "Seller sick"}, actor=personas.agent.user)


def test_only_a_requested_showing_is_confirmed(personas, oak):
    showing = book(personas.agent.user, oak, at(14))
    showing_confirm(showing=showing, actor=personas.agent.user)
    with pytest.raises(ValidationError):
        showing_confirm(showing=showing, actor=personas.agent.user)


def test_cancelling_is_written_on_the_timeline_with_the_reason(personas, oak, buyer):
    showing = book(personas.agent.user, oak, at(14), client=buyer)
    showing_cancel(showing=showing, reason="Client has the flu", actor=personas.agent.user)
    assert showing.status == ShowingStatus.CANCELLED
    activity = buyer.activities.get(details__event="cancelled")
    assert activity.kind == ActivityKind.SYSTEM
    assert activity.subject.startswith("Showing cancelled: 12 Oak St")
    assert activity.body == "Client has the flu"
    with pytest.raises(ValidationError):
        showing_cancel(showing=showing, actor=personas.agent.user)


# ---------- Feedback ----------


def test_feedback_is_recorded_on_the_showing_and_the_clients_timeline(personas, oak, buyer):
    showing = book(personas.agent.user, oak, at(14), client=buyer)
    showing_complete(
        showing=showing,
        feedback="  Loved the kitchen, worried about the road noise.  ",
        rating=4,
        actor=personas.agent.user,
        now=at(14, 40),
    )
    showing.refresh_from_db()
    assert showing.status == ShowingStatus.COMPLETED
    assert showing.feedback == "Loved the kitchen, worried about the road noise."
    assert showing.feedback_rating == 4
    activity = buyer.activities.get(kind=ActivityKind.SHOWING)
    assert activity.subject == "Showed 12 Oak St"
    assert "Rating: 4/5" in activity.body
    assert "Loved the kitchen" in activity.body
    assert activity.occurred_at == showing.starts_at
    assert activity.listing == oak
    assert activity.actor == personas.agent.user


def test_feedback_before_the_showing_starts_is_refused(personas, oak, buyer):
    showing = book(personas.agent.user, oak, at(14), client=buyer)
    with pytest.raises(ValidationError) as exc:
        showing_complete(
            showing=showing, feedback="Great", rating=5, actor=personas.agent.user, now=at(13)
        )
    assert messages_of(exc) == "Feedback can be recorded once the showing has started."
    showing.refresh_from_db()
    assert showing.status == ShowingStatus.REQUESTED
    assert not buyer.activities.filter(kind=ActivityKind.SHOWING).exists()


@pytest.mark.parametrize("rating", [0, 6, "5"])
def test_a_rating_is_from_one_to_five(personas, oak, rating):
    showing = book(personas.agent.user, oak, at(14))
    with pytest.raises(ValidationError) as exc:
        showing_complete(
            showing=showing, feedback="", rating=rating, actor=personas.agent.user, now=at(15)
        )
    assert "rating" in exc.value.message_dict


def test_a_cancelled_showing_cannot_be_completed(personas, oak):
    showing = book(personas.agent.user, oak, at(14))
    showing_cancel(showing=showing, actor=personas.agent.user)
    with pytest.raises(ValidationError):
        showing_complete(
            showing=showing, feedback="", rating=None, actor=personas.agent.user, now=at(15)
        )


# ---------- Reminders ----------


@pytest.fixture
def soon(personas, oak, buyer):
    """A showing two hours after ``now`` is ``at(14)``: the reminder window opens at 1 PM."""
    return book(personas.agent.user, oak, at(14), client=buyer)


def test_the_agent_and_the_client_are_reminded_once(personas, soon, buyer):
    assert showing_reminders_send(now=at(13, 10)) == 1
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [personas.agent.user.email, buyer.email]
    )
    agent_mail = next(m for m in mail.outbox if m.to == [personas.agent.user.email])
    assert "12 Oak St" in agent_mail.subject
    assert "2:00 PM to 2:30 PM" in agent_mail.body
    assert "Jo Buyer" in agent_mail.body
    assert f"/clients/showings/{soon.pk}/" in agent_mail.body
    client_mail = next(m for m in mail.outbox if m.to == [buyer.email])
    assert client_mail.reply_to == [personas.agent.user.email]
    assert "/clients/" not in client_mail.body
    soon.refresh_from_db()
    assert soon.reminder_sent_at == at(13, 10)
    # The same run again (a retried task) and a later run send nothing more.
    assert showing_reminders_send(now=at(13, 10)) == 0
    assert showing_reminders_send(now=at(13, 40)) == 0
    assert len(mail.outbox) == 2


def test_the_reminder_task_sends_nothing_twice(personas, soon, monkeypatch):
    frozen = at(13, 30)
    monkeypatch.setattr(timezone, "now", lambda: frozen)
    showing_reminders_task.delay()
    showing_reminders_task.delay()
    assert len(mail.outbox) == 2


def test_a_showing_claimed_by_another_run_is_not_sent_again(soon):
    Showing.objects.filter(pk=soon.pk).update(reminder_sent_at=at(13, 5))
    assert showing_reminders_send(now=at(13, 10)) == 0
    assert mail.outbox == []


def test_no_reminder_before_the_window_or_after_the_start(soon):
    assert showing_reminders_send(now=at(12, 59)) == 0
    assert showing_reminders_send(now=at(14)) == 0
    assert mail.outbox == []


def test_the_reminder_window_is_a_setting(settings, soon):
    settings.SHOWING_REMINDER_MINUTES = 180
    assert showing_reminders_send(now=at(11, 30)) == 1


def test_a_cancelled_showing_is_not_reminded(personas, soon):
    showing_cancel(showing=soon, actor=personas.agent.user)
    assert showing_reminders_send(now=at(13, 30)) == 0
    assert mail.outbox == []


def test_a_client_who_asked_for_no_email_gets_none(personas, soon, buyer):
    buyer.do_not_email = True
    buyer.save()
    showing_reminders_send(now=at(13, 30))
    assert [message.to for message in mail.outbox] == [[personas.agent.user.email]]


def test_a_client_without_an_email_gets_none(personas, oak):
    phone_only = make_client(personas.agent.user, email="", phone="(217) 555-0143")
    book(personas.agent.user, oak, at(14), client=phone_only)
    showing_reminders_send(now=at(13, 30))
    assert [message.to for message in mail.outbox] == [[personas.agent.user.email]]


def test_the_client_sees_the_time_in_their_own_time_zone(personas, oak):
    traveller = make_client(personas.agent.user, time_zone="America/Los_Angeles")
    book(personas.agent.user, oak, at(14), client=traveller)
    showing_reminders_send(now=at(13, 30))
    client_mail = next(m for m in mail.outbox if m.to == [traveller.email])
    # 2 PM in New York is 11 AM in Los Angeles, summer or winter.
    assert "11:00 AM to 11:30 AM P" in client_mail.body
    assert "11:00 AM" in client_mail.subject
    agent_mail = next(m for m in mail.outbox if m.to == [personas.agent.user.email])
    assert "2:00 PM to 2:30 PM E" in agent_mail.body


def test_one_failed_email_does_not_stop_the_others(personas, oak, elm, monkeypatch):
    book(personas.agent.user, oak, at(14))
    book(personas.colleague.user, elm, at(14))
    from clients.services import showings

    real_remind = showings._remind
    calls = []

    def flaky(showing):
        calls.append(showing.pk)
        if len(calls) == 1:
            raise ConnectionError("SMTP down")
        return real_remind(showing)

    monkeypatch.setattr(showings, "_remind", flaky)
    assert showing_reminders_send(now=at(13, 30)) == 1
    assert len(mail.outbox) == 1
    # Both were claimed: a failed reminder is not sent again on the next run.
    assert showing_reminders_send(now=at(13, 35)) == 0


# ---------- Calendar feeds ----------


def test_a_new_feed_replaces_the_old_one(personas):
    first = calendar_feed_create(agent=personas.agent, actor=personas.agent.user)
    second = calendar_feed_create(agent=personas.agent, actor=personas.agent.user)
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert second.revoked_at is None and second.token != first.token
    assert CalendarFeed.objects.filter(agent=personas.agent, revoked_at__isnull=True).count() == 1


def test_the_database_keeps_one_working_feed_per_agent(personas):
    CalendarFeed.objects.create(agent=personas.agent)
    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarFeed.objects.create(agent=personas.agent)


def test_nobody_makes_a_feed_for_someone_else(personas):
    for persona in ("colleague", "broker", "stranger"):
        with pytest.raises(PermissionDenied):
            calendar_feed_create(agent=personas.agent, actor=personas.user(persona))


def test_a_broker_may_turn_off_an_agents_feed_but_a_colleague_may_not(personas):
    feed = calendar_feed_create(agent=personas.agent, actor=personas.agent.user)
    with pytest.raises(PermissionDenied):
        calendar_feed_revoke(feed=feed, actor=personas.colleague.user)
    with pytest.raises(PermissionDenied):
        calendar_feed_revoke(feed=feed, actor=personas.stranger.user)
    calendar_feed_revoke(feed=feed, actor=personas.broker.user)
    feed.refresh_from_db()
    assert feed.revoked_at is not None


def test_an_action_on_a_stale_copy_sees_what_happened_meanwhile(personas, oak):
    showing = book(personas.agent.user, oak, at(14))
    stale = Showing.objects.get(pk=showing.pk)
    showing_cancel(showing=showing, actor=personas.agent.user)
    with pytest.raises(ValidationError) as exc:
        showing_complete(
            showing=stale, feedback="Great", rating=5, actor=personas.broker.user, now=at(15)
        )
    assert messages_of(exc) == "This showing is already cancelled."
    assert Showing.objects.get(pk=showing.pk).status == ShowingStatus.CANCELLED


@pytest.mark.parametrize("days", [-800, 800])
def test_a_date_years_away_is_taken_for_a_typo(personas, oak, days):
    with pytest.raises(ValidationError) as exc:
        book(personas.agent.user, oak, at(10, days=days))
    assert exc.value.message_dict["starts_at"] == ["Choose a date within two years of today."]
