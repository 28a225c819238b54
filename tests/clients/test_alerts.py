"""Saved searches and listing alerts: criteria, events, bulk matching and sending."""

import smtplib
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from clients import receivers
from clients.choices import AlertEvent, AlertFrequency
from clients.models import Activity, AlertScan, Client, ListingAlert, SavedSearch
from clients.services import alerts
from clients.services.alerts import (
    CLAIM_TIMEOUT,
    SKIP_DO_NOT_EMAIL,
    SKIP_INTERRUPTED,
    SKIP_NO_EMAIL,
    SKIP_OFF_MARKET,
    SKIP_UNSUBSCRIBED,
    criteria_query,
    listing_alerts_match,
    listing_alerts_send,
    saved_search_create,
    saved_search_unsubscribe,
    saved_search_update,
)
from clients.tasks import listing_alerts_digest_task, listing_alerts_match_task
from mls import signals
from properties.models import PriceChange, Property
from properties.services import listing_archive, listing_update
from tests.testing.factories import make_client, make_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(personas):
    return make_client(personas.agent.user, first_name="Dana", last_name="Buyer")


def save_search(personas, client, criteria=None, frequency=AlertFrequency.INSTANT, **kwargs):
    return saved_search_create(
        client=client,
        criteria={"city": "Springfield"} if criteria is None else criteria,
        name=kwargs.pop("name", "Springfield homes"),
        frequency=frequency,
        actor=kwargs.pop("actor", personas.agent.user),
    )


@pytest.fixture
def search(personas, buyer):
    return save_search(personas, buyer)


def alerts_of(search):
    return sorted(
        ListingAlert.objects.filter(saved_search=search).values_list("listing_id", "event")
    )


# ---------------------------------------------------------------------------------------------
# Criteria


@pytest.mark.parametrize(
    ("criteria", "field"),
    [
        ({"min_price": "a lot"}, "min_price"),
        ({"status": ["Sold"]}, "status"),
        ({"status": ["Closed"]}, "status"),
        ({"property_type": "Castle"}, "property_type"),
        ({"min_price": "500000", "max_price": "400000"}, "max_price"),
        ({"min_area": "3000", "max_area": "1000"}, "max_area"),
        ({"max_price": "-1"}, "max_price"),
        ({"min_beds": "40000"}, "min_beds"),
        ({"mine": "true"}, "mine"),
        ({"archived": "true"}, "archived"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_criteria_are_reported_by_filter_name(personas, buyer, criteria, field):
    with pytest.raises(ValidationError) as exc:
        save_search(personas, buyer, criteria)
    assert field in exc.value.message_dict
    assert not SavedSearch.objects.exists()


def test_criteria_are_kept_as_the_listing_page_query_and_matched_as_columns(personas, buyer):
    query = QueryDict(
        "city=springfield&status=Active&status=ComingSoon&min_price=300000&min_beds=2.5"
        "&max_area=1999.5&q=park&sort=-price&page=2&page_size=48&all_listings=true"
    )
    search = save_search(personas, buyer, query)
    assert search.criteria == {
        "q": "park",
        "status": ["Active", "ComingSoon"],
        "city": "springfield",
        "min_price": "300000",
        "min_beds": "2.5",
        "max_area": "1999.5",
        "all_listings": "true",
    }
    assert (search.city, search.statuses, search.keywords) == (
        "SPRINGFIELD",
        ",Active,ComingSoon,",
        "park",
    )
    assert (search.min_price, search.min_beds, search.max_area) == (Decimal("300000"), 3, 1999)
    assert search.all_listings is True
    assert QueryDict(criteria_query(search.criteria)) == QueryDict(criteria_query(search.criteria))
    assert "status=Active&status=ComingSoon" in criteria_query(search.criteria)


def test_criteria_may_come_from_the_api_as_json_values(personas, buyer):
    search = save_search(personas, buyer, {"min_beds": 3, "status": ["Active"], "city": "Dover"})
    assert (search.min_beds, search.statuses, search.city) == (3, ",Active,", "DOVER")


def test_a_search_without_a_name_is_named_after_its_filters(personas, buyer):
    search = save_search(
        personas, buyer, {"city": "Springfield", "min_beds": "3", "max_price": "450000"}, name=""
    )
    assert search.name == "3+ beds · Springfield · up to $450,000"


def test_saving_a_search_is_written_to_the_client_timeline(search, buyer):
    assert buyer.activities.filter(subject="Saved search added: Springfield homes").exists()


@pytest.mark.parametrize("persona", ["colleague", "viewer", "stranger"])
def test_only_who_may_change_the_client_saves_searches_for_them(personas, buyer, persona):
    with pytest.raises(PermissionDenied):
        save_search(personas, buyer, actor=personas.user(persona))
    assert not SavedSearch.objects.exists()


def test_an_update_keeps_a_clients_unsubscribe(personas, search):
    saved_search_unsubscribe(token=search.unsubscribe_token)
    search.refresh_from_db()
    saved_search_update(
        saved_search=search,
        data={"name": "Renamed", "criteria": {"city": "Dover"}, "is_active": True},
        actor=personas.agent.user,
    )
    search.refresh_from_db()
    assert (search.name, search.city, search.unsubscribed_at is not None) == (
        "Renamed",
        "DOVER",
        True,
    )


# ---------------------------------------------------------------------------------------------
# Events and bulk matching


def springfield_listing(personas, **changes):
    return make_listing(personas.agent.user, **{"city": "Springfield", **changes})


def test_a_new_listing_that_fits_is_alerted_once(personas, search):
    listing = springfield_listing(personas)
    springfield_listing(personas, city="Dover")
    assert listing_alerts_match() == 1
    assert alerts_of(search) == [(listing.pk, AlertEvent.NEW)]
    assert listing_alerts_match() == 0


def test_price_drops_alert_but_price_rises_do_not(personas, search):
    listing = springfield_listing(personas, list_price=Decimal("400000"))
    listing_alerts_match()
    listing_update(
        listing=listing, data={"list_price": Decimal("420000")}, actor=personas.agent.user
    )
    assert listing_alerts_match() == 0
    listing_update(
        listing=listing, data={"list_price": Decimal("390000")}, actor=personas.agent.user
    )
    assert listing_alerts_match() == 1
    assert alerts_of(search) == [(listing.pk, AlertEvent.NEW), (listing.pk, AlertEvent.PRICE_DROP)]


def test_back_on_the_market_alerts_but_active_to_pending_does_not(personas, search):
    listing = springfield_listing(personas)
    listing_alerts_match()
    actor = personas.agent.user
    listing_update(listing=listing, data={"standard_status": "Pending"}, actor=actor)
    assert listing_alerts_match() == 0
    listing_update(listing=listing, data={"standard_status": "Withdrawn"}, actor=actor)
    assert listing_alerts_match() == 0
    listing_update(listing=listing, data={"standard_status": "Active"}, actor=actor)
    assert listing_alerts_match() == 1
    assert (listing.pk, AlertEvent.BACK_ON_MARKET) in alerts_of(search)


def test_listings_off_the_market_or_archived_are_not_alerted(personas, search):
    springfield_listing(personas, standard_status="Closed")
    archived = springfield_listing(personas)
    listing_archive(listing=archived, actor=personas.agent.user)
    assert listing_alerts_match() == 0


@pytest.mark.parametrize(
    ("criteria", "listing_changes"),
    [
        ({"city": "SPRINGFIELD"}, {"city": "Dover"}),
        ({"postal_code": "62701"}, {"postal_code": "62702"}),
        ({"property_type": "Land"}, {}),
        ({"property_sub_type": "Condominium"}, {}),
        ({"min_price": "400000"}, {"list_price": Decimal("399999")}),
        ({"max_price": "300000"}, {"list_price": Decimal("300001")}),
        ({"min_beds": "4"}, {"bedrooms_total": 3}),
        ({"min_beds": "1"}, {"bedrooms_total": None}),
        ({"min_baths": "3"}, {"bathrooms_total_integer": 2}),
        ({"min_area": "2000"}, {"living_area": 1999}),
        ({"max_area": "1500"}, {"living_area": 1501}),
        ({"status": ["ComingSoon"]}, {"standard_status": "Active"}),
        ({"q": "waterfront"}, {}),
        ({"q": "park garage"}, {}),
    ],
    ids=lambda value: "-".join(f"{k}={v}" for k, v in value.items()) or "as-is",
)
def test_each_search_filter_leaves_a_listing_out(personas, buyer, criteria, listing_changes):
    search = save_search(personas, buyer, criteria)
    springfield_listing(personas, **listing_changes)
    assert listing_alerts_match() == 0
    assert alerts_of(search) == []


@pytest.mark.parametrize(
    "criteria",
    [
        {"city": "springfield", "postal_code": "62701"},
        {"property_type": "Residential", "property_sub_type": "SingleFamilyResidence"},
        {"min_price": "350000", "max_price": "350000"},
        {"min_beds": "3", "min_baths": "2", "min_area": "1800", "max_area": "1800"},
        {"status": ["Active", "Pending"]},
        {"q": "sunny PARK"},
        {},
    ],
    ids=lambda value: "-".join(value) or "any",
)
def test_listings_passing_every_filter_are_alerted(personas, buyer, criteria):
    search = save_search(personas, buyer, criteria)
    listing = springfield_listing(personas)
    assert listing_alerts_match() == 1
    assert alerts_of(search) == [(listing.pk, AlertEvent.NEW)]


def test_only_searches_of_the_listings_brokerage_are_alerted(personas, search):
    stranger_client = make_client(personas.stranger.user)
    theirs = save_search(personas, stranger_client, actor=personas.stranger.user)
    listing = springfield_listing(personas)
    make_listing(personas.stranger.user, city="Springfield")
    listing_alerts_match()
    assert alerts_of(search) == [(listing.pk, AlertEvent.NEW)]
    assert [pk for pk, _ in alerts_of(theirs)] != [listing.pk]
    assert len(alerts_of(theirs)) == 1


def test_paused_unsubscribed_and_silent_searches_are_not_matched(personas, buyer):
    paused = save_search(personas, buyer)
    SavedSearch.objects.filter(pk=paused.pk).update(is_active=False)
    gone = save_search(personas, buyer)
    saved_search_unsubscribe(token=gone.unsubscribe_token)
    silent = save_search(personas, buyer, frequency=AlertFrequency.NEVER)
    springfield_listing(personas)
    assert listing_alerts_match() == 0
    assert not ListingAlert.objects.filter(saved_search__in=[paused, gone, silent]).exists()


def test_a_second_listing_of_a_home_alerts_only_searches_that_want_every_listing(personas, buyer):
    one_per_home = save_search(personas, buyer)
    every_listing = save_search(personas, buyer, {"city": "Springfield", "all_listings": "true"})
    listing = springfield_listing(personas)
    Property.objects.filter(pk=listing.pk).update(home_duplicate=True)
    listing_alerts_match()
    assert alerts_of(one_per_home) == []
    assert alerts_of(every_listing) == [(listing.pk, AlertEvent.NEW)]


def test_events_from_well_before_a_search_was_saved_do_not_alert_it(personas, buyer):
    old = springfield_listing(personas)
    PriceChange.objects.filter(property=old).update(changed_at=timezone.now() - timedelta(days=3))
    recent = springfield_listing(personas)
    search = save_search(personas, buyer)
    listing_alerts_match()
    assert alerts_of(search) == [(recent.pk, AlertEvent.NEW)]


def test_matching_again_from_an_older_watermark_records_nothing_twice(personas, search):
    springfield_listing(personas)
    springfield_listing(personas)
    assert listing_alerts_match() == 2
    AlertScan.objects.update(last_price_change_id=0, last_status_change_id=0)
    assert listing_alerts_match() == 0
    assert ListingAlert.objects.count() == 2


def test_the_watermark_moves_with_the_matched_slice_or_not_at_all(personas, search, monkeypatch):
    springfield_listing(personas)

    def fail(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(alerts, "_match_slice", fail)
    with pytest.raises(RuntimeError):
        listing_alerts_match()
    scan = AlertScan.objects.get()
    assert (scan.last_price_change_id, scan.last_status_change_id) == (0, 0)
    monkeypatch.undo()
    assert listing_alerts_match() == 1


def test_a_matcher_that_finds_the_watermark_moved_does_not_match_the_slice_again(
    personas, search, monkeypatch
):
    springfield_listing(personas)
    cut = alerts._history_cut()
    # Another matcher reads the same slice between this one's read and its update.
    real_cut = alerts._history_cut

    def cut_then_race():
        result = real_cut()
        AlertScan.objects.update(last_price_change_id=cut[0], last_status_change_id=cut[1])
        return result

    AlertScan.objects.create(name=alerts.SCAN_NAME)
    monkeypatch.setattr(alerts, "_history_cut", cut_then_race)
    assert listing_alerts_match() == 0


def test_a_long_backlog_is_matched_in_slices(personas, search, monkeypatch):
    monkeypatch.setattr(alerts, "MATCH_SLICE", 1)
    listings = [springfield_listing(personas) for _ in range(3)]
    assert listing_alerts_match() == 3
    assert {pk for pk, _ in alerts_of(search)} == {listing.pk for listing in listings}


# ---------------------------------------------------------------------------------------------
# Sending


def matched_listings(personas, count=1):
    listings = [springfield_listing(personas) for _ in range(count)]
    listing_alerts_match()
    return listings


def test_instant_alerts_go_out_as_one_email_per_search(personas, buyer, search, settings):
    settings.SITE_URL = "https://crm.example.com"
    matched_listings(personas, 2)
    assert listing_alerts_send(frequency=AlertFrequency.INSTANT) == 1
    [message] = mail.outbox
    assert message.to == [buyer.email]
    assert message.subject == "2 listings for your search “Springfield homes”"
    assert message.reply_to == [personas.agent.user.email]
    assert personas.agent.name in message.from_email
    unsubscribe = f"https://crm.example.com/clients/unsubscribe/{search.unsubscribe_token}/"
    assert unsubscribe in message.body
    assert message.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    html, mime = message.alternatives[0]
    assert mime == "text/html" and unsubscribe in html and "Springfield" in html
    assert not ListingAlert.objects.filter(sent_at__isnull=True).exists()
    activity = buyer.activities.get(subject="Listing alert sent: 2 listings")
    assert activity.details["saved_search"] == search.pk
    search.refresh_from_db()
    assert search.last_sent_at is not None


def test_a_single_listing_email_names_the_event_and_the_old_price(personas, buyer, search):
    listing = springfield_listing(personas, list_price=Decimal("400000"))
    listing_alerts_match()
    listing_alerts_send(frequency=AlertFrequency.INSTANT)
    listing_update(
        listing=listing, data={"list_price": Decimal("379000")}, actor=personas.agent.user
    )
    listing_alerts_match()
    listing_alerts_send(frequency=AlertFrequency.INSTANT)
    first, second = mail.outbox
    assert first.subject == f"New listing: {listing.street_address}, Springfield — $400,000"
    assert second.subject == f"Price drop: {listing.street_address}, Springfield — $379,000"
    assert "$379,000 (was $400,000)" in second.body


def test_a_retried_send_never_sends_twice(personas, search):
    matched_listings(personas)
    assert listing_alerts_send(frequency=AlertFrequency.INSTANT) == 1
    assert listing_alerts_send(frequency=AlertFrequency.INSTANT) == 0
    assert len(mail.outbox) == 1


def test_alerts_claimed_by_a_sender_that_died_are_not_sent_again(personas, search):
    matched_listings(personas)
    now = timezone.now()
    # A sender claimed them and was killed before it could record the send.
    ListingAlert.objects.update(claimed_at=now)
    assert listing_alerts_send(frequency=AlertFrequency.INSTANT, now=now) == 0
    later = now + CLAIM_TIMEOUT + timedelta(minutes=1)
    assert listing_alerts_send(frequency=AlertFrequency.INSTANT, now=later) == 0
    assert mail.outbox == []
    assert set(ListingAlert.objects.values_list("skipped_reason", flat=True)) == {SKIP_INTERRUPTED}


def test_a_failed_send_leaves_the_alerts_for_the_next_run(personas, search, monkeypatch):
    matched_listings(personas)

    def refuse(self, fail_silently=False):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    assert listing_alerts_send(frequency=AlertFrequency.INSTANT) == 0
    assert ListingAlert.objects.filter(claimed_at__isnull=True, sent_at__isnull=True).count() == 1
    monkeypatch.undo()
    assert listing_alerts_send(frequency=AlertFrequency.INSTANT) == 1


@pytest.mark.parametrize(
    ("client_fields", "reason"),
    [({"do_not_email": True}, SKIP_DO_NOT_EMAIL), ({"email": ""}, SKIP_NO_EMAIL)],
)
def test_a_client_who_cannot_be_emailed_gets_nothing(
    personas, buyer, search, client_fields, reason
):
    matched_listings(personas)
    Client.objects.filter(pk=buyer.pk).update(**client_fields)
    assert listing_alerts_send(frequency=AlertFrequency.INSTANT) == 0
    assert mail.outbox == []
    assert list(ListingAlert.objects.values_list("skipped_reason", flat=True)) == [reason]
    assert ListingAlert.objects.get().sent_at is None


def test_a_listing_that_left_the_market_before_the_digest_is_left_out(personas, buyer):
    save_search(personas, buyer, frequency=AlertFrequency.DAILY)
    gone, kept = matched_listings(personas, 2)
    listing_update(listing=gone, data={"standard_status": "Withdrawn"}, actor=personas.agent.user)
    assert listing_alerts_send(frequency=AlertFrequency.DAILY) == 1
    assert mail.outbox[0].subject.startswith(f"New listing: {kept.street_address}")
    assert ListingAlert.objects.get(listing=gone).skipped_reason == SKIP_OFF_MARKET


def test_unsubscribing_stops_further_alerts_and_is_recorded_once(personas, buyer, search):
    matched_listings(personas)
    assert saved_search_unsubscribe(token=search.unsubscribe_token).unsubscribed_at
    assert saved_search_unsubscribe(token=search.unsubscribe_token).unsubscribed_at
    assert ListingAlert.objects.get().skipped_reason == SKIP_UNSUBSCRIBED
    matched_listings(personas)
    assert listing_alerts_send(frequency=AlertFrequency.INSTANT) == 0
    assert mail.outbox == []
    assert Activity.objects.filter(subject__startswith="Unsubscribed from").count() == 1


def test_an_unknown_token_unsubscribes_nothing():
    import uuid

    assert saved_search_unsubscribe(token=uuid.uuid4()) is None


def test_the_daily_digest_groups_a_days_matches_and_waits_a_day(personas, buyer):
    search = save_search(personas, buyer, frequency=AlertFrequency.DAILY)
    matched_listings(personas, 2)
    assert listing_alerts_send(frequency=AlertFrequency.INSTANT) == 0
    now = timezone.now()
    assert listing_alerts_send(frequency=AlertFrequency.DAILY, now=now) == 1
    matched_listings(personas, 1)
    assert listing_alerts_send(frequency=AlertFrequency.DAILY, now=now + timedelta(hours=12)) == 0
    # The next morning's run, a few seconds earlier in the day than yesterday's.
    next_day = now + timedelta(days=1) - timedelta(seconds=5)
    assert listing_alerts_send(frequency=AlertFrequency.DAILY, now=next_day) == 1
    first, second = mail.outbox
    assert first.subject == f"2 listings for your search “{search.name}”"
    assert second.subject.startswith("New listing: ")


def test_the_weekly_digest_waits_a_week(personas, buyer):
    save_search(personas, buyer, frequency=AlertFrequency.WEEKLY)
    matched_listings(personas)
    now = timezone.now()
    assert listing_alerts_send(frequency=AlertFrequency.WEEKLY, now=now) == 1
    matched_listings(personas)
    assert listing_alerts_send(frequency=AlertFrequency.WEEKLY, now=now + timedelta(days=3)) == 0
    assert listing_alerts_send(frequency=AlertFrequency.WEEKLY, now=now + timedelta(days=7)) == 1


def test_the_tasks_match_and_send(personas, search):
    springfield_listing(personas)
    assert listing_alerts_match_task.delay().get() == 1
    assert len(mail.outbox) == 1
    assert listing_alerts_digest_task.delay(frequency="daily").get() == 0


# ---------------------------------------------------------------------------------------------
# The MLS events start a match


@pytest.fixture
def enqueued(monkeypatch):
    calls = []
    monkeypatch.setattr(
        listing_alerts_match_task, "apply_async", lambda **kwargs: calls.append(kwargs)
    )
    return calls


def test_a_burst_of_mls_events_queues_one_match_once_committed(
    personas, enqueued, django_capture_on_commit_callbacks
):
    listing = springfield_listing(personas)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        signals.listing_created.send(sender=Property, listing_id=listing.pk, values={})
        signals.listing_price_changed.send(
            sender=Property, listing_id=listing.pk, old_price=1, new_price=2
        )
        signals.listing_status_changed.send(
            sender=Property, listing_id=listing.pk, old_status="Hold", new_status="Active"
        )
        assert enqueued == []  # nothing before the commit
    assert len(callbacks) == 1
    assert enqueued == [{"countdown": receivers.MATCH_DELAY_SECONDS}]


def test_the_next_burst_queues_the_next_match(
    personas, enqueued, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            signals.listing_created.send(sender=Property, listing_id=1, values={})
        cache.delete(receivers.MATCH_QUEUED_KEY)  # the delay has passed
    assert len(enqueued) == 2


@pytest.mark.django_db(transaction=True)
def test_an_mls_sync_queues_one_match_that_alerts_its_new_listings(
    personas, live_server, settings, enqueued, queued_tasks
):
    from datetime import UTC, datetime

    from mls.choices import RunKind, RunState
    from mls.models import MLSProvider
    from mls.providers.reso import ResoWebApiProvider
    from mls.services import provider_save, provider_sync
    from properties.choices import ON_MARKET_STATUSES

    feed_now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    settings.MLS_DEMO_NOW = feed_now
    settings.MLS_DEMO_FEEDS = {"alerts-test": {"seed": 5, "size": 40}}
    provider = provider_save(
        provider=MLSProvider(
            brokerage=personas.brokerage,
            name="Demo MLS",
            endpoint=f"{live_server.url}/mls/demo/alerts-test/odata",
            page_size=10,
            allow_private_network=True,
        )
    )
    search = save_search(personas, make_client(personas.agent.user), criteria={})
    # Saved before the feed's listings came on the market.
    SavedSearch.objects.filter(pk=search.pk).update(created_at=feed_now - timedelta(days=3650))
    feed = ResoWebApiProvider(provider, sleep=lambda seconds: None)
    run = provider_sync(provider=provider, kind=RunKind.FULL, feed=feed)
    assert run.state == RunState.SUCCEEDED, run.message
    assert enqueued == [{"countdown": receivers.MATCH_DELAY_SECONDS}]
    on_market = Property.objects.filter(
        mls_provider=provider,
        archived_at__isnull=True,
        home_duplicate=False,
        standard_status__in=ON_MARKET_STATUSES,
    )
    assert on_market.exists()
    assert listing_alerts_match() == on_market.count()
    assert set(ListingAlert.objects.values_list("listing_id", flat=True)) == set(
        on_market.values_list("pk", flat=True)
    )


# ---------------------------------------------------------------------------------------------
# The client opens a listing from the email


def test_client_opens_an_alerted_listing_without_signing_in(client_for, personas, buyer, search):
    [listing] = matched_listings(personas)
    listing_alerts_send(frequency=AlertFrequency.INSTANT)
    view_url = f"/clients/alerts/{search.unsubscribe_token}/listing/{listing.pk}/"
    assert view_url in mail.outbox[0].body
    before = Client.objects.get(pk=buyer.pk).score
    response = client_for("anonymous").get(view_url)
    assert response.status_code == 200
    assert listing.street_address in response.content.decode()
    assert response["Referrer-Policy"] == "no-referrer"
    client_for("anonymous").get(view_url)  # opened again the same day: one view
    views = buyer.activities.filter(subject=f"Viewed a listing alert: {listing.street_address}")
    assert views.count() == 1 and views.get().listing == listing
    assert Client.objects.get(pk=buyer.pk).score > before


def test_only_listings_the_search_was_sent_are_shown(client_for, personas, search):
    [alerted] = matched_listings(personas)
    other = make_listing(personas.agent.user, city="Chatham")
    anonymous = client_for("anonymous")
    # Matched but not sent yet, never matched, or a token that is not the search's: 404.
    assert (
        anonymous.get(
            f"/clients/alerts/{search.unsubscribe_token}/listing/{alerted.pk}/"
        ).status_code
        == 404
    )
    listing_alerts_send(frequency=AlertFrequency.INSTANT)
    assert (
        anonymous.get(f"/clients/alerts/{search.unsubscribe_token}/listing/{other.pk}/").status_code
        == 404
    )
    assert anonymous.get(f"/clients/alerts/{uuid.uuid4()}/listing/{alerted.pk}/").status_code == 404
    assert not Activity.objects.filter(subject__startswith="Viewed a listing alert").exists()
