"""The domain event log: written with the change, dispatched once it commits."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from agents.choices import EventName
from agents.models import Event
from agents.services.events import event_committed, event_record
from clients.choices import ActivityKind, Stage
from clients.models import Client, Showing
from clients.services.people import activity_log, client_stage_set
from properties.models import Property
from properties.services import listing_update
from tests.testing.factories import make_client, make_listing
from transactions.models import Transaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    events = []

    def receiver(sender, event, **kwargs):
        events.append(event)

    event_committed.connect(receiver, dispatch_uid="test-events-received")
    yield events
    event_committed.disconnect(dispatch_uid="test-events-received")


def test_event_is_dispatched_only_after_its_transaction_commits(
    personas, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        event = event_record(
            brokerage=personas.brokerage,
            name=EventName.CLIENT_CREATED,
            subject=personas.agent,
            payload={"name": "Ada"},
            actor=personas.agent.user,
        )
        assert received == []
    assert [e.pk for e in received] == [event.pk]
    assert received[0].subject == personas.agent
    assert received[0].payload == {"name": "Ada"}


def test_event_of_a_rolled_back_change_is_neither_written_nor_dispatched(
    personas, received, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        event_record(brokerage=personas.brokerage, name=EventName.CLIENT_CREATED)
        raise RuntimeError("the change failed")
    assert not Event.objects.exists()
    assert received == []


# ---------- each service writes its event, with what a webhook consumer needs ----------


def only_event(name, **lookups):
    """The one event of ``name`` (narrowed by ``lookups``); fails when there is none or more."""
    return Event.objects.get(name=name, **lookups)


def subject_of(event):
    return (event.subject_type.model_class(), event.subject_id)


def test_creating_a_listing_writes_listing_created(personas):
    listing = make_listing(personas.agent.user, listing_id="", list_price=Decimal("350000.00"))

    event = only_event(EventName.LISTING_CREATED)
    assert event.brokerage == personas.brokerage
    assert event.actor == personas.agent.user
    assert subject_of(event) == (Property, str(listing.pk))
    assert event.payload == {
        "listing_id": listing.pk,
        "listing_key": listing.listing_key,
        "mls_number": "",
        "source": "local",
        "address": listing.address_line,
        "list_price": "350000.00",
        "standard_status": "Active",
    }
    assert not Event.objects.exclude(name=EventName.LISTING_CREATED).exists()


def test_a_new_price_and_status_write_one_event_each_with_old_and_new(personas):
    listing = make_listing(personas.agent.user)
    listing_update(
        listing=listing,
        data={"list_price": Decimal("339000"), "standard_status": "Pending"},
        actor=personas.broker.user,
    )

    price = only_event(EventName.LISTING_PRICE_CHANGED)
    assert (price.payload["old_price"], price.payload["new_price"]) == ("350000.00", "339000")
    assert price.actor == personas.broker.user
    status = only_event(EventName.LISTING_STATUS_CHANGED)
    assert (status.payload["old_status"], status.payload["new_status"]) == ("Active", "Pending")
    assert subject_of(status) == (Property, str(listing.pk))


def test_an_edit_that_changes_neither_price_nor_status_writes_no_change_event(personas):
    listing = make_listing(personas.agent.user)
    listing_update(listing=listing, data={"bedrooms_total": 4}, actor=personas.agent.user)
    assert list(Event.objects.values_list("name", flat=True)) == [EventName.LISTING_CREATED]


def test_a_refused_listing_change_leaves_no_event(personas):
    listing = make_listing(personas.agent.user)
    with pytest.raises(ValidationError):
        listing_update(
            listing=listing,
            data={"list_price": Decimal("-1"), "standard_status": "Pending"},
            actor=personas.agent.user,
        )
    assert list(Event.objects.values_list("name", flat=True)) == [EventName.LISTING_CREATED]


def test_listing_event_is_written_only_when_the_change_commits(personas):
    listing = make_listing(personas.agent.user)
    with pytest.raises(RuntimeError), transaction.atomic():
        listing_update(listing=listing, data={"list_price": 1}, actor=personas.agent.user)
        assert Event.objects.filter(name=EventName.LISTING_PRICE_CHANGED).exists()
        raise RuntimeError("a later step of the request failed")
    assert not Event.objects.filter(name=EventName.LISTING_PRICE_CHANGED).exists()


def test_creating_a_client_writes_client_created_without_contact_details(personas):
    client = make_client(personas.agent.user, first_name="Ada", last_name="Byron")

    event = only_event(EventName.CLIENT_CREATED)
    assert event.actor == personas.agent.user
    assert subject_of(event) == (Client, str(client.pk))
    assert event.payload == {
        "client_id": client.pk,
        "name": "Ada Byron",
        "stage": "new",
        "assigned_agent_id": personas.agent.pk,
        "source": "",
    }
    assert client.email not in str(event.payload)


def test_moving_a_client_writes_client_stage_changed(personas):
    client = make_client(personas.agent.user)
    client_stage_set(client=client, stage=Stage.QUALIFIED, actor=personas.agent.user)

    event = only_event(EventName.CLIENT_STAGE_CHANGED)
    assert (event.payload["old_stage"], event.payload["new_stage"]) == ("new", "qualified")
    assert event.actor == personas.agent.user


def test_a_first_call_moves_a_new_client_to_contacted_with_an_event(personas):
    client = make_client(personas.agent.user)
    activity_log(client=client, kind=ActivityKind.CALL, subject="Called", actor=personas.agent.user)

    event = only_event(EventName.CLIENT_STAGE_CHANGED)
    assert (event.payload["old_stage"], event.payload["new_stage"]) == ("new", "contacted")


def test_client_event_is_written_only_when_the_change_commits(personas):
    with pytest.raises(RuntimeError), transaction.atomic():
        make_client(personas.agent.user)
        raise RuntimeError("a later step of the import failed")
    assert not Event.objects.exists()
    client = make_client(personas.agent.user)
    with pytest.raises(RuntimeError), transaction.atomic():
        client_stage_set(client=client, stage=Stage.QUALIFIED, actor=personas.agent.user)
        raise RuntimeError("a later step failed")
    assert not Event.objects.filter(name=EventName.CLIENT_STAGE_CHANGED).exists()


def test_a_lead_from_an_intake_key_writes_client_created_naming_its_agent(personas):
    from clients.models import LeadSource, RoutingRule
    from clients.services.intake import intake_key_create, lead_intake

    zillow = LeadSource.objects.create(brokerage=personas.brokerage, name="Zillow")
    key, _ = intake_key_create(brokerage=personas.brokerage, name="Zillow feed", source=zillow)
    rule = RoutingRule.objects.create(
        brokerage=personas.brokerage, name="All", method="round_robin"
    )
    rule.agents.set([personas.colleague])

    client, created = lead_intake(
        brokerage=personas.brokerage,
        data={"first_name": "Jo", "email": "jo@example.com"},
        intake_key=key,
    )

    assert created
    event = only_event(EventName.CLIENT_CREATED)
    assert event.actor is None
    assert event.payload["source"] == "Zillow"
    assert event.payload["assigned_agent_id"] == personas.colleague.pk
    assert event.payload["client_id"] == client.pk
    # A second lead of the same person adds to that client: no new client, no new event.
    lead_intake(brokerage=personas.brokerage, data={"email": "jo@example.com"}, intake_key=key)
    assert Event.objects.filter(name=EventName.CLIENT_CREATED).count() == 1


def test_booking_a_showing_writes_showing_booked(personas):
    from clients.services.showings import showing_create

    listing = make_listing(personas.agent.user)
    client = make_client(personas.agent.user)
    starts_at = timezone.now().replace(microsecond=0) + timedelta(days=1)
    showing = showing_create(
        data={
            "listing": listing,
            "client": client,
            "starts_at": starts_at,
            "ends_at": starts_at + timedelta(minutes=30),
        },
        actor=personas.agent.user,
    )

    event = only_event(EventName.SHOWING_BOOKED)
    assert subject_of(event) == (Showing, str(showing.pk))
    assert event.payload == {
        "showing_id": showing.pk,
        "listing_id": listing.pk,
        "address": listing.address_line,
        "client_id": client.pk,
        "agent_id": personas.agent.pk,
        "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + timedelta(minutes=30)).isoformat(),
        "status": "requested",
    }


def test_deal_stages_write_stage_changed_and_closing_writes_deal_closed(personas):
    from tests.transactions.factories import make_deal
    from transactions.choices import DealStage
    from transactions.services.deals import deal_stage_set

    actor = personas.agent.user
    deal = make_deal(actor)
    for stage in (DealStage.UNDER_CONTRACT, DealStage.PENDING):
        deal_stage_set(deal=deal, stage=stage, actor=actor)
    deal_stage_set(deal=deal, stage=DealStage.CLOSED, actor=actor, sale_price=Decimal("410000"))

    moves = [
        (event.payload["old_stage"], event.payload["new_stage"])
        for event in Event.objects.filter(name=EventName.DEAL_STAGE_CHANGED).order_by("pk")
    ]
    assert moves == [
        (DealStage.PRE_CONTRACT, DealStage.UNDER_CONTRACT),
        (DealStage.UNDER_CONTRACT, DealStage.PENDING),
        (DealStage.PENDING, DealStage.CLOSED),
    ]
    closed = only_event(EventName.DEAL_CLOSED)
    assert subject_of(closed) == (Transaction, str(deal.pk))
    assert closed.actor == actor
    assert closed.payload["sale_price"] == "410000"
    assert closed.payload["closed_on"] == deal.closed_on.isoformat()
    assert closed.payload["deal_id"] == deal.pk


def test_deal_event_is_written_only_when_the_change_commits(personas):
    from tests.transactions.factories import make_deal
    from transactions.choices import DealStage
    from transactions.services.deals import deal_stage_set

    deal = make_deal(personas.agent.user)
    with pytest.raises(RuntimeError), transaction.atomic():
        deal_stage_set(deal=deal, stage=DealStage.UNDER_CONTRACT, actor=personas.agent.user)
        raise RuntimeError("a later step failed")
    assert not Event.objects.filter(name__startswith="deal.").exists()


def test_approving_a_document_writes_document_approved_and_returning_does_not(personas):
    from tests.transactions.factories import make_deal
    from tests.transactions.test_documents import contract_pdf, pdf_upload
    from transactions.models import Milestone
    from transactions.services.documents import document_review, document_upload

    deal = make_deal(personas.agent.user)
    milestone = Milestone.objects.create(
        transaction=deal, title="Purchase agreement", requires_document=True
    )

    def upload():
        return document_upload(
            transaction=deal,
            milestone=milestone,
            upload=pdf_upload(data=contract_pdf()),
            title="Purchase agreement",
            actor=personas.agent.user,
        )

    document_review(document=upload(), approve=False, note="Unsigned", actor=personas.broker.user)
    assert not Event.objects.filter(name=EventName.DOCUMENT_APPROVED).exists()
    document = upload()
    document_review(document=document, approve=True, note="", actor=personas.broker.user)

    event = only_event(EventName.DOCUMENT_APPROVED)
    assert event.actor == personas.broker.user
    assert event.payload == {
        "document_id": document.pk,
        "deal_id": deal.pk,
        "title": "Purchase agreement",
        "milestone_id": milestone.pk,
        "reviewed_by_id": personas.broker.user.pk,
    }


def test_an_expired_licence_is_a_compliance_violation(personas):
    from compliance.services.licences import licences_expire
    from tests.compliance.licences import make_licence

    licence = make_licence(personas.agent, days_left=-1)
    make_licence(personas.colleague, days_left=30)

    assert licences_expire() == 1

    event = only_event(EventName.COMPLIANCE_VIOLATION)
    assert event.payload["kind"] == "licence_expired"
    assert event.payload["agent_id"] == personas.agent.pk
    assert event.payload["licence_id"] == licence.pk
    assert event.brokerage == personas.brokerage
    assert licences_expire() == 0  # once only
    assert Event.objects.filter(name=EventName.COMPLIANCE_VIOLATION).count() == 1


def test_a_nightly_fair_housing_scan_with_findings_is_a_compliance_violation(personas):
    from compliance.services.fair_housing import (
        fair_housing_listings_scan,
        fair_housing_rules_ensure,
    )
    from tests.compliance.mls import make_mls_listing, make_provider

    fair_housing_rules_ensure()
    provider = make_provider(personas.brokerage)
    flagged = make_mls_listing(personas.agent.user, provider, "FH1")
    Property.objects.filter(pk=flagged.pk).update(public_remarks="Perfect for adults only.")
    make_mls_listing(personas.agent.user, provider, "FH2")

    run = fair_housing_listings_scan(brokerage_id=personas.brokerage.pk)

    event = only_event(EventName.COMPLIANCE_VIOLATION)
    assert event.payload["kind"] == "fair_housing_scan"
    assert event.payload["listing_ids"] == [flagged.pk]
    assert event.payload["listings_flagged"] == 1
    assert subject_of(event) == (type(run), str(run.pk))


def test_a_clean_fair_housing_scan_writes_no_violation(personas):
    from compliance.services.fair_housing import fair_housing_listings_scan
    from tests.compliance.mls import make_mls_listing, make_provider

    make_mls_listing(personas.agent.user, make_provider(personas.brokerage), "FH3")
    fair_housing_listings_scan(brokerage_id=personas.brokerage.pk)
    assert not Event.objects.filter(name=EventName.COMPLIANCE_VIOLATION).exists()


def test_an_mls_export_over_the_limit_is_a_compliance_violation(personas):
    from compliance.models import ListingAccess
    from compliance.services.mls import listing_export_alert_check
    from tests.compliance.mls import make_provider, make_rule

    provider = make_provider(personas.brokerage)
    make_rule(provider, export_alert_threshold=1)
    access = ListingAccess.objects.create(
        brokerage=personas.brokerage,
        user=personas.agent.user,
        agent=personas.agent,
        provider=provider,
        kind="export",
        count=5,
        accessed_at=timezone.now(),
    )

    alert = listing_export_alert_check(access_id=access.pk)

    event = only_event(EventName.COMPLIANCE_VIOLATION)
    assert event.payload["kind"] == "mls_export_limit"
    assert (event.payload["exported"], event.payload["threshold"]) == (5, 1)
    assert event.actor == personas.agent.user
    assert subject_of(event) == (type(alert), str(alert.pk))


# ---------- the event log page, the API and the back office ----------

PAGE = reverse("dashboard-activity")
API_LIST = reverse("event-list")


@pytest.fixture
def logged(personas):
    """Events of brokerage A caused by the agent, by the broker and by the system (a sync),
    and one of brokerage B."""
    return {
        "agent": make_listing(personas.agent.user, street_name="Agentway"),
        "broker": make_client(personas.broker.user, first_name="Brokerly", last_name="Client"),
        "system": event_record(
            brokerage=personas.brokerage,
            name=EventName.SYNC_COMPLETED,
            payload={"provider": "Systemfeed MLS", "created": 3, "updated": 1},
        ),
        "stranger": make_listing(personas.stranger.user, street_name="Strangerway"),
    }


def page_text(browser, **query):
    response = browser.get(PAGE, query)
    assert response.status_code == 200
    return response.content.decode()


def test_the_broker_reads_every_event_of_the_brokerage_and_nothing_of_another(client_for, logged):
    text = page_text(client_for("broker"))
    assert "Agentway" in text and "Brokerly Client" in text and "Systemfeed MLS" in text
    assert "Strangerway" not in text
    assert f'href="{reverse("properties:detail", args=[logged["agent"].pk])}"' in text


@pytest.mark.parametrize(
    ("name", "sees"),
    [
        ("agent", {"Agentway"}),
        ("colleague", set()),
        ("viewer", set()),
        ("assistant", set()),
        ("stranger", {"Strangerway"}),
    ],
)
def test_others_read_only_the_events_they_caused(client_for, logged, name, sees):
    text = page_text(client_for(name))
    shown = {word for word in ("Agentway", "Brokerly", "Systemfeed", "Strangerway") if word in text}
    assert shown == sees


def test_anonymous_is_sent_to_sign_in(client_for, logged):
    response = client_for("anonymous").get(PAGE)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_the_page_filters_by_event_subject_and_date(client_for, personas, logged):
    browser = client_for("broker")
    text = page_text(browser, name=EventName.CLIENT_CREATED)
    assert "Brokerly" in text and "Agentway" not in text
    text = page_text(browser, subject_type="properties.property")
    assert "Agentway" in text and "Brokerly" not in text and "Systemfeed" not in text
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    text = page_text(browser, occurred_after=tomorrow)
    assert "Agentway" not in text and "No events match" in text


def test_an_empty_log_says_what_fills_it(client_for, personas):
    assert "Nothing has happened yet" in page_text(client_for("colleague"))


def test_the_user_menu_links_to_the_log(client_for, personas):
    assert f'href="{PAGE}"' in client_for("agent").get(reverse("dashboard")).content.decode()


def test_the_page_costs_the_same_queries_for_more_events(
    client_for, personas, logged, django_assert_num_queries
):
    browser = client_for("broker")
    browser.get(PAGE)
    with django_assert_num_queries(5) as first:
        browser.get(PAGE)
    for _ in range(3):
        make_client(personas.agent.user)
        make_listing(personas.colleague.user)
    with django_assert_num_queries(len(first.captured_queries)):
        browser.get(PAGE)


def api_names(response):
    assert response.status_code == 200, response.content
    return sorted(row["name"] for row in response.json()["results"])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("broker", ["client.created", "listing.created", "mls.sync.completed"]),
        ("agent", ["listing.created"]),
        ("colleague", []),
        ("stranger", ["listing.created"]),
    ],
)
def test_the_api_lists_what_each_persona_may_see(api_for, logged, name, expected):
    response = api_for(name).get(API_LIST)
    assert api_names(response) == expected
    if name == "stranger":
        row = response.json()["results"][0]
        assert row["payload"]["listing_id"] == logged["stranger"].pk


def test_the_api_row_carries_the_event_and_its_subject(api_for, personas, logged):
    event = Event.objects.get(name=EventName.LISTING_CREATED, brokerage=personas.brokerage)
    response = api_for("agent").get(reverse("event-detail", args=[event.pk]))
    assert response.status_code == 200
    row = response.json()
    assert row["name"] == "listing.created"
    assert row["name_label"] == "Listing created"
    assert row["subject_type"] == "properties.property"
    assert row["subject_id"] == str(logged["agent"].pk)
    assert row["actor"] == personas.agent.user.pk
    assert row["uid"] == str(event.uid)
    assert row["payload"]["address"] == logged["agent"].address_line


@pytest.mark.parametrize(("name", "status"), [("colleague", 404), ("stranger", 404)])
def test_another_persons_event_is_not_found(api_for, personas, logged, name, status):
    event = Event.objects.get(name=EventName.LISTING_CREATED, brokerage=personas.brokerage)
    assert api_for(name).get(reverse("event-detail", args=[event.pk])).status_code == status


def test_the_api_is_read_only_and_closed_to_anonymous(api_for, personas, logged):
    event = Event.objects.get(name=EventName.LISTING_CREATED, brokerage=personas.brokerage)
    detail = reverse("event-detail", args=[event.pk])
    assert api_for("anonymous").get(API_LIST).status_code == 401
    broker = api_for("broker")
    assert broker.post(API_LIST, {"name": "listing.created"}, format="json").status_code == 405
    assert broker.delete(detail).status_code == 405
    assert broker.patch(detail, {"payload": {}}, format="json").status_code == 405
    assert Event.objects.filter(pk=event.pk, payload__listing_id=logged["agent"].pk).exists()


def test_the_api_shares_the_page_filters(api_for, logged):
    broker = api_for("broker")
    assert api_names(broker.get(API_LIST, {"name": "client.created"})) == ["client.created"]
    assert api_names(broker.get(API_LIST, {"subject_type": "properties.property"})) == [
        "listing.created"
    ]
    listing_id = str(logged["agent"].pk)
    assert api_names(
        broker.get(API_LIST, {"subject_type": "properties.property", "subject_id": listing_id})
    ) == ["listing.created"]
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert api_names(broker.get(API_LIST, {"occurred_after": tomorrow})) == []
    assert broker.get(API_LIST, {"name": "no.such"}).status_code == 400


def test_the_api_pages_with_a_cursor_newest_first(api_for, personas):
    for n in range(5):
        make_client(personas.agent.user, first_name=f"Paged{n}")
    browser = api_for("agent")
    first = browser.get(API_LIST, {"page_size": 3}).json()
    second = browser.get(first["next"]).json()
    names = [row["payload"]["name"].split()[0] for row in first["results"] + second["results"]]
    assert names == ["Paged4", "Paged3", "Paged2", "Paged1", "Paged0"]
    assert second["next"] is None


def test_the_api_list_costs_the_same_queries_for_more_events(
    api_for, personas, logged, django_assert_num_queries
):
    browser = api_for("broker")
    browser.get(API_LIST)
    # One: the page of events with their actors and subject types (a cursor needs no count).
    with django_assert_num_queries(1) as first:
        browser.get(API_LIST)
    for _ in range(3):
        make_client(personas.agent.user)
        make_listing(personas.colleague.user)
    with django_assert_num_queries(len(first.captured_queries)):
        browser.get(API_LIST)


def test_the_back_office_shows_the_brokers_events_read_only(client_for, personas, logged):
    browser = client_for("broker")
    response = browser.get(reverse("admin:agents_event_changelist"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "listing.created" in text and "mls.sync.completed" in text
    theirs = Event.objects.get(brokerage=personas.other_brokerage)
    assert theirs.pk not in [row.pk for row in response.context["cl"].result_list]
    assert browser.get(reverse("admin:agents_event_add")).status_code == 403
    ours = Event.objects.filter(brokerage=personas.brokerage).first()
    change = browser.post(reverse("admin:agents_event_change", args=[ours.pk]), {"name": "x"})
    assert change.status_code in (200, 403)
    ours.refresh_from_db()
    assert ours.name != "x"
    stranger_url = reverse("admin:agents_event_change", args=[theirs.pk])
    assert browser.get(stranger_url).status_code in (302, 404)


def test_an_htmx_filter_request_gets_only_the_results(client_for, logged):
    response = client_for("broker").get(
        PAGE, {"name": EventName.SYNC_COMPLETED}, headers={"HX-Request": "true"}
    )
    text = response.content.decode()
    assert "<html" not in text and "Systemfeed MLS" in text and "Agentway" not in text


def test_events_built_in_bulk_are_the_events_built_one_by_one(personas):
    from agents.services.events import event_build, events_build, events_record

    listing = make_listing(personas.agent.user)
    Event.objects.all().delete()
    payload = {"listing_id": listing.pk}
    one = event_build(
        brokerage=personas.brokerage,
        name=EventName.LISTING_CREATED,
        subject=listing,
        payload=payload,
    )
    bulk = events_build(
        brokerage=personas.brokerage,
        name=EventName.LISTING_CREATED,
        model=Property,
        items=[(listing.pk, payload), (listing.pk, payload)],
    )
    events_record([one, *bulk])

    fields = ("brokerage_id", "name", "actor_id", "subject_type_id", "subject_id", "payload")
    stored = list(Event.objects.order_by("pk").values_list(*fields))
    assert stored[0] == stored[1] == stored[2]
    assert Event.objects.get(pk=bulk[0].pk).subject == listing
    assert len({one.uid, *(event.uid for event in bulk)}) == 3
