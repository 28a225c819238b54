"""Notifications: who an event concerns, price drops in an agent's areas, new matches for their
buyers, and the alert emails."""

import smtplib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from agents.choices import EventName, NotificationKind, Role
from agents.models import Event, Notification
from agents.services.events import event_record, events_dispatch
from agents.services.notifications import (
    agent_alert_settings_update,
    event_notify,
    notifications_email_send,
)
from agents.tasks import notifications_email_task
from clients.choices import AlertFrequency
from clients.models import Showing
from clients.services.alerts import listing_alerts_match, saved_search_create
from properties.services import listing_update
from tests.testing.factories import make_agent, make_client, make_listing, make_mls_provider
from tests.transactions.factories import make_deal
from transactions.services.documents import document_upload

pytestmark = pytest.mark.django_db


def record(event_name, *, brokerage, subject=None, payload=None, actor=None):
    """Record an event and dispatch it, as its task does once the change committed."""
    event = event_record(
        brokerage=brokerage, name=event_name, subject=subject, payload=payload, actor=actor
    )
    events_dispatch(event_ids=[event.pk])
    return event


def dispatched(event):
    """The event as the dispatcher hands it to its receivers."""
    return Event.objects.select_related("brokerage", "subject_type").get(pk=event.pk)


def recipients(**filters):
    return sorted(
        Notification.objects.filter(**filters).values_list("recipient__username", flat=True)
    )


# ---------------------------------------------------------------------------------------------
# Events → the people they concern


def test_a_listing_event_notifies_the_listing_agent_not_the_actor(personas):
    listing = make_listing(personas.agent.user)
    event = record(
        EventName.LISTING_STATUS_CHANGED,
        brokerage=personas.brokerage,
        subject=listing,
        payload={"old_status": "Active", "new_status": "Pending"},
        actor=personas.broker.user,
    )
    notification = Notification.objects.get()
    assert notification.recipient == personas.agent.user
    assert notification.event == event
    assert notification.kind == NotificationKind.EVENT
    assert notification.title == f"Status changed: {listing.street_address}, Springfield: " + (
        "Active → Pending"
    )
    assert notification.url == listing.get_absolute_url()
    assert notification.brokerage == personas.brokerage
    assert "By " in notification.body

    # The listing agent's own change tells nobody.
    record(
        EventName.LISTING_STATUS_CHANGED,
        brokerage=personas.brokerage,
        subject=listing,
        actor=personas.agent.user,
    )
    assert Notification.objects.count() == 1


def test_the_same_event_dispatched_again_notifies_nobody_again(personas):
    listing = make_listing(personas.agent.user)
    event = record(EventName.LISTING_CREATED, brokerage=personas.brokerage, subject=listing)
    events_dispatch(event_ids=[event.pk])
    assert recipients() == ["alice"]
    assert Notification.objects.get().dedupe_key == f"event:{event.pk}"


def test_a_client_event_notifies_the_assigned_agent_and_co_agents(personas):
    client = make_client(personas.agent.user, co_agents=[personas.colleague])
    record(
        EventName.CLIENT_STAGE_CHANGED,
        brokerage=personas.brokerage,
        subject=client,
        payload={"old_stage": "new", "new_stage": "qualified"},
        actor=personas.broker.user,
    )
    assert recipients() == ["alice", "carol"]
    assert set(Notification.objects.values_list("title", flat=True)) == {
        f"{client.name} moved to Qualified"
    }


def test_a_client_created_by_its_agent_notifies_only_the_co_agent(personas):
    client = make_client(personas.agent.user, co_agents=[personas.colleague])
    record(
        EventName.CLIENT_CREATED,
        brokerage=personas.brokerage,
        subject=client,
        actor=personas.agent.user,
    )
    assert recipients() == ["carol"]


def test_a_showing_notifies_the_clients_agent_and_the_listing_agent(personas):
    listing = make_listing(personas.colleague.user)
    client = make_client(personas.agent.user)
    starts_at = timezone.now() + timedelta(days=1)
    showing = Showing.objects.create(
        brokerage=personas.brokerage,
        listing=listing,
        client=client,
        agent=personas.agent,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=30),
    )
    record(EventName.SHOWING_BOOKED, brokerage=personas.brokerage, subject=showing)
    assert recipients() == ["alice", "carol"]
    # Each is linked to what they may open: a showing is private to its agent, and the
    # client's name is not the listing agent's to know.
    mine = Notification.objects.get(recipient=personas.agent.user)
    assert mine.title.startswith(f"Showing booked: {listing.street_address}")
    assert mine.body == f"With {client.name}"
    assert mine.url == showing.get_absolute_url()
    theirs = Notification.objects.get(recipient=personas.colleague.user)
    assert theirs.title == mine.title
    assert theirs.body == f"Shown by {personas.agent.name}"
    assert theirs.url == listing.get_absolute_url()


def test_a_showing_of_a_colleagues_client_links_the_clients_agent_to_the_client(personas):
    lister = make_agent(personas.brokerage, Role.AGENT, username="dave")
    listing = make_listing(lister.user)
    client = make_client(personas.agent.user)
    starts_at = timezone.now() + timedelta(days=1)
    showing = Showing.objects.create(
        brokerage=personas.brokerage,
        listing=listing,
        client=client,
        agent=personas.colleague,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=30),
    )
    record(
        EventName.SHOWING_BOOKED,
        brokerage=personas.brokerage,
        subject=showing,
        actor=personas.colleague.user,
    )
    assert recipients() == ["alice", "dave"]
    alice = Notification.objects.get(recipient=personas.agent.user)
    assert alice.url == client.get_absolute_url()
    assert alice.body.startswith(f"With {client.name} · Shown by {personas.colleague.name}")
    assert Notification.objects.get(recipient=lister.user).url == listing.get_absolute_url()


def test_deal_events_notify_the_deals_agents(personas):
    deal = make_deal(personas.agent.user, co_agents=[personas.colleague])
    record(
        EventName.DEAL_STAGE_CHANGED,
        brokerage=personas.brokerage,
        subject=deal,
        payload={"old_stage": "pre_contract", "new_stage": "under_contract"},
        actor=personas.agent.user,
    )
    assert recipients() == ["carol"]
    assert Notification.objects.get().title == f"{deal.name}: now Under contract"
    record(EventName.DEAL_CLOSED, brokerage=personas.brokerage, subject=deal)
    assert recipients(title=f"Deal closed: {deal.name}") == ["alice", "carol"]


def test_an_approved_document_notifies_the_deals_agents(personas):
    from tests.transactions.test_documents import pdf_upload

    deal = make_deal(personas.agent.user)
    document = document_upload(
        transaction=deal,
        milestone=None,
        upload=pdf_upload(),
        title="Purchase contract",
        actor=personas.agent.user,
    )
    record(
        EventName.DOCUMENT_APPROVED,
        brokerage=personas.brokerage,
        subject=document,
        actor=personas.broker.user,
    )
    notification = Notification.objects.get()
    assert notification.recipient == personas.agent.user
    assert notification.title == "Document approved: Purchase contract"
    assert notification.url == f"/deals/{deal.pk}/documents/"


def test_a_failed_sync_and_a_violation_notify_the_brokers_of_the_brokerage_only(personas):
    other_broker = make_agent(personas.other_brokerage, Role.BROKER, username="olga")
    provider = make_mls_provider(personas.brokerage, name="Bright MLS")
    record(
        EventName.SYNC_FAILED,
        brokerage=personas.brokerage,
        subject=provider,
        payload={"message": "401 Unauthorized"},
    )
    record(
        EventName.COMPLIANCE_VIOLATION,
        brokerage=personas.brokerage,
        payload={"summary": "Licence of Alice expired"},
    )
    assert recipients() == ["bruno", "bruno"]
    titles = set(Notification.objects.values_list("title", flat=True))
    assert titles == {"MLS sync failed: Bright MLS", "Compliance: Licence of Alice expired"}
    assert not Notification.objects.filter(recipient=other_broker.user).exists()


def test_a_failed_sync_run_tells_the_brokers_its_feed_and_its_message(personas):
    from tests.testing.factories import make_sync_run

    run = make_sync_run(
        make_mls_provider(personas.brokerage, name="Bright MLS"),
        state="failed",
        message="The feed answered 503",
    )
    record(EventName.SYNC_FAILED, brokerage=personas.brokerage, subject=run)
    notification = Notification.objects.get()
    assert notification.recipient == personas.broker.user
    assert (notification.title, notification.body) == (
        "MLS sync failed: Bright MLS",
        "The feed answered 503",
    )
    assert notification.url == "/mls/"


def test_events_never_reach_another_brokerage(personas):
    listing = make_listing(personas.stranger.user)
    # An event of brokerage A naming brokerage B's listing (a mistake) tells nobody.
    record(EventName.LISTING_CREATED, brokerage=personas.brokerage, subject=listing)
    assert Notification.objects.count() == 0


def test_inactive_agents_are_not_notified(personas):
    client = make_client(personas.agent.user, co_agents=[personas.colleague])
    personas.colleague.is_active = False
    personas.colleague.save()
    record(EventName.CLIENT_CREATED, brokerage=personas.brokerage, subject=client)
    assert recipients() == ["alice"]


def test_an_event_is_notified_in_a_fixed_number_of_queries(personas, django_assert_max_num_queries):
    client = make_client(personas.agent.user)
    for n in range(5):
        client.co_agents.add(make_agent(personas.brokerage, Role.AGENT, username=f"co{n}"))
    event = event_record(
        brokerage=personas.brokerage,
        name=EventName.CLIENT_CREATED,
        subject=client,
        actor=personas.broker.user,
    )
    event = dispatched(event)
    # Its subject, the actor's name, the people and one insert.
    with django_assert_max_num_queries(4):
        event_notify(event=event)
    assert Notification.objects.count() == 6


# ---------------------------------------------------------------------------------------------
# Price drops in an agent's areas


@pytest.fixture
def watcher(personas):
    """A colleague who works Springfield and wants drops of 5% or more."""
    agent = personas.colleague
    agent.market_areas = ["springfield ", "Dover"]
    agent.price_drop_alert_percent = Decimal("5.0")
    agent.save()
    return agent


def price_change(personas, listing, old, new):
    return record(
        EventName.LISTING_PRICE_CHANGED,
        brokerage=personas.brokerage,
        subject=listing,
        payload={"old_price": str(old), "new_price": str(new)},
        actor=personas.agent.user,
    )


def price_drops():
    return Notification.objects.filter(kind=NotificationKind.PRICE_DROP)


def test_a_drop_smaller_than_the_agents_setting_does_not_alert(personas, watcher):
    listing = make_listing(personas.agent.user, list_price=Decimal("400000"))
    price_change(personas, listing, 400000, 384000)  # 4%
    assert not price_drops().exists()


def test_a_drop_at_least_the_agents_setting_alerts_once(personas, watcher):
    listing = make_listing(personas.agent.user, list_price=Decimal("400000"))
    price_change(personas, listing, 400000, 376000)  # 6%
    price_change(personas, listing, 400000, 376000)  # the same drop told again
    alert = price_drops().get()
    assert alert.recipient == watcher.user
    assert alert.title == f"Price cut 6.0%: {listing.street_address}, Springfield — $376,000"
    assert alert.url == listing.get_absolute_url()
    assert alert.dedupe_key == f"price_drop:{listing.pk}:376000.00"
    # The listing agent heard of it as their listing's activity, not as an alert.
    assert recipients(kind=NotificationKind.EVENT) == []  # they changed it themselves


def test_a_drop_of_exactly_the_setting_alerts(personas, watcher):
    listing = make_listing(personas.agent.user, list_price=Decimal("400000"))
    price_change(personas, listing, 400000, 380000)  # 5%
    assert price_drops().count() == 1


def test_a_next_drop_to_another_price_alerts_again(personas, watcher):
    listing = make_listing(personas.agent.user, list_price=Decimal("400000"))
    price_change(personas, listing, 400000, 376000)
    price_change(personas, listing, 376000, 350000)
    assert price_drops().count() == 2


def test_agents_without_the_area_or_without_the_setting_are_not_alerted(personas, watcher):
    listing = make_listing(personas.agent.user, city="Shelbyville", postal_code="62565")
    price_change(personas, listing, 350000, 300000)
    assert not price_drops().exists()
    watcher.price_drop_alert_percent = None
    watcher.save()
    listing = make_listing(personas.agent.user, city="Springfield")
    price_change(personas, listing, 350000, 300000)
    assert not price_drops().exists()


def test_a_postal_code_area_matches_and_other_brokerages_are_never_alerted(personas, watcher):
    watcher.market_areas = ["62565"]
    watcher.save()
    stranger = personas.stranger
    stranger.market_areas = ["62565", "Shelbyville"]
    stranger.save()
    listing = make_listing(personas.agent.user, city="Shelbyville", postal_code="62565")
    price_change(personas, listing, 350000, 300000)
    assert recipients(kind=NotificationKind.PRICE_DROP) == ["carol"]


def test_the_listing_agent_and_the_person_who_cut_the_price_are_not_alerted(personas, watcher):
    agent = personas.agent
    agent.market_areas = ["Springfield"]
    agent.save()
    listing = make_listing(personas.colleague.user, list_price=Decimal("400000"))
    record(
        EventName.LISTING_PRICE_CHANGED,
        brokerage=personas.brokerage,
        subject=listing,
        payload={"old_price": "400000", "new_price": "300000"},
        actor=personas.agent.user,
    )
    assert not price_drops().exists()


def test_without_prices_in_the_event_the_listings_last_price_change_is_used(personas, watcher):
    listing = make_listing(personas.agent.user, list_price=Decimal("400000"))
    listing_update(
        listing=listing, data={"list_price": Decimal("360000")}, actor=personas.agent.user
    )
    record(EventName.LISTING_PRICE_CHANGED, brokerage=personas.brokerage, subject=listing)
    assert recipients(kind=NotificationKind.PRICE_DROP) == ["carol"]


def test_price_drops_are_found_in_one_statement_whatever_the_number_of_agents(
    personas, watcher, django_assert_max_num_queries
):
    for n in range(10):
        make_agent(
            personas.brokerage,
            Role.AGENT,
            username=f"area{n}",
            market_areas=["Springfield"],
        )
    listing = make_listing(personas.agent.user, list_price=Decimal("400000"))
    event = event_record(
        brokerage=personas.brokerage,
        name=EventName.LISTING_PRICE_CHANGED,
        subject=listing,
        payload={"old_price": "400000", "new_price": "360000"},
    )
    event = dispatched(event)
    # The listing, its agent to tell, the insert, and the alerts in one statement.
    with django_assert_max_num_queries(4):
        event_notify(event=event)
    assert price_drops().count() == 11


# ---------------------------------------------------------------------------------------------
# New matches for an agent's buyers


@pytest.fixture
def buyer_search(personas):
    buyer = make_client(personas.agent.user, first_name="Jane", last_name="Buyer")
    return saved_search_create(
        client=buyer,
        criteria={"city": "Springfield"},
        name="Springfield homes",
        frequency=AlertFrequency.DAILY,
        actor=personas.agent.user,
    )


def test_a_buyers_new_match_notifies_their_agent_once(
    personas, buyer_search, django_capture_on_commit_callbacks
):
    listing = make_listing(personas.colleague.user, list_price=Decimal("400000"))
    with django_capture_on_commit_callbacks(execute=True):
        assert listing_alerts_match() == 1
    match = Notification.objects.get(kind=NotificationKind.BUYER_MATCH)
    assert match.recipient == personas.agent.user
    assert match.title == f"New match for Jane Buyer: {listing.street_address}, Springfield"
    assert "Springfield homes" in match.body
    assert match.url == listing.get_absolute_url()
    assert match.dedupe_key == f"buyer_match:{buyer_search.pk}:{listing.pk}"

    # A price drop of the same listing matches the search again: the agent knows it already.
    listing_update(
        listing=listing, data={"list_price": Decimal("380000")}, actor=personas.colleague.user
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert listing_alerts_match() == 1
    assert Notification.objects.filter(kind=NotificationKind.BUYER_MATCH).count() == 1


def test_no_match_no_buyer_notification(personas, buyer_search, django_capture_on_commit_callbacks):
    make_listing(personas.colleague.user, city="Dover")
    with django_capture_on_commit_callbacks(execute=True):
        assert listing_alerts_match() == 0
    assert not Notification.objects.exists()


# ---------------------------------------------------------------------------------------------
# Email


def alert_for(agent, **fields):
    values = {
        "recipient": agent.user,
        "brokerage": agent.brokerage,
        "kind": NotificationKind.PRICE_DROP,
        "title": "Price cut 6.0%: 101 Maple Ave, Springfield — $376,000",
        "body": "$376,000, was $400,000",
        "url": "/listings/1/",
        "dedupe_key": f"test:{Notification.objects.count()}",
    }
    values.update(fields)
    return Notification.objects.create(**values)


def test_a_persons_alerts_are_emailed_together_and_only_once(personas):
    first = alert_for(personas.colleague)
    alert_for(personas.colleague, kind=NotificationKind.BUYER_MATCH, title="New match for Jane")
    alert_for(personas.colleague, kind=NotificationKind.EVENT, title="Activity is not emailed")
    alert_for(personas.agent, title="Alice's alert")
    assert notifications_email_send() == 2
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [personas.colleague.user.email, personas.agent.user.email]
    )
    carol = next(m for m in mail.outbox if m.to == [personas.colleague.user.email])
    assert carol.subject == "2 new alerts: price drops and buyer matches"
    assert "New match for Jane" in carol.body and "Activity is not emailed" not in carol.body
    assert "http://testserver/listings/1/" in carol.body or "/listings/1/" in carol.body
    html = carol.alternatives[0][0]
    assert "New match for Jane" in html
    first.refresh_from_db()
    assert first.emailed_at is not None

    # The task running again (a retry, the next beat) sends nothing more.
    assert notifications_email_task.delay().get() == 0
    assert len(mail.outbox) == 2


def test_alerts_are_not_emailed_to_agents_who_turned_email_off(personas):
    agent_alert_settings_update(
        agent=personas.colleague, data={"notify_by_email": False}, actor=personas.colleague.user
    )
    alert = alert_for(personas.colleague)
    assert notifications_email_send() == 0
    assert mail.outbox == []
    alert.refresh_from_db()
    assert alert.emailed_at is None


def test_alerts_already_read_or_stale_are_not_emailed(personas):
    alert_for(personas.colleague, read_at=timezone.now())
    alert_for(personas.colleague, created_at=timezone.now() - timedelta(days=2))
    assert notifications_email_send() == 0


def test_a_failed_email_is_sent_by_the_next_run_once(personas, monkeypatch):
    alert = alert_for(personas.colleague)

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("the mail server went away")

    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
        assert notifications_email_send() == 0
    alert.refresh_from_db()
    assert alert.emailed_at is None
    assert notifications_email_send() == 1
    assert notifications_email_send() == 0
    assert len(mail.outbox) == 1


def test_alerts_claimed_by_another_run_are_not_sent_again(personas):
    alert = alert_for(personas.colleague)
    Notification.objects.filter(pk=alert.pk).update(emailed_at=timezone.now())
    assert notifications_email_send() == 0
    assert mail.outbox == []


# ---------------------------------------------------------------------------------------------
# Alert settings


def test_an_agent_sets_their_areas_threshold_and_email(personas):
    agent = agent_alert_settings_update(
        agent=personas.agent,
        data={
            "market_areas": "Springfield, 62701\nspringfield\n  Dover ",
            "price_drop_alert_percent": Decimal("7.5"),
            "notify_by_email": False,
        },
        actor=personas.agent.user,
    )
    agent.refresh_from_db()
    assert agent.market_areas == ["Springfield", "62701", "Dover"]
    assert agent.price_drop_alert_percent == Decimal("7.5")
    assert agent.notify_by_email is False


def test_alert_settings_are_checked_and_only_the_persons_own(personas):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(ValidationError) as error:
        agent_alert_settings_update(
            agent=personas.agent,
            data={"price_drop_alert_percent": "0"},
            actor=personas.agent.user,
        )
    assert "price_drop_alert_percent" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        agent_alert_settings_update(
            agent=personas.agent, data={"notify_by_email": False}, actor=personas.broker.user
        )
    personas.agent.refresh_from_db()
    assert personas.agent.notify_by_email is True


def test_the_alert_email_job_is_scheduled_every_few_minutes():
    from django_celery_beat.models import PeriodicTask

    from clients.services.schedules import periodic_jobs_ensure

    periodic_jobs_ensure()
    task = PeriodicTask.objects.get(name="Notifications: email agents their alerts")
    assert task.task == "agents.tasks.notifications_email_task"
    assert task.interval.every == 5


def test_a_failing_notification_never_stops_the_events_other_receivers(personas, monkeypatch):
    from agents.services import notifications

    def broken(*, event):
        raise RuntimeError("a bug")

    monkeypatch.setattr(notifications, "event_notify", broken)
    listing = make_listing(personas.agent.user)
    record(EventName.LISTING_CREATED, brokerage=personas.brokerage, subject=listing)
    assert not Notification.objects.exists()
