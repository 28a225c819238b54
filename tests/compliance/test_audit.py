"""The broker's audit pages: changes with their diff, security events, filters and exports."""

import csv
import io

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from compliance.models import SecurityEvent, SecurityEventKind
from compliance.services.security import security_event_record
from properties.models import Property
from properties.services import listing_update
from tests.testing.factories import make_listing

pytestmark = pytest.mark.django_db

AUDIT = reverse("compliance:audit")
AUDIT_EXPORT = reverse("compliance:audit-export")
EVENTS = reverse("compliance:security-events")
EVENTS_EXPORT = reverse("compliance:security-events-export")


@pytest.fixture
def history(personas):
    """Changes by the agent and a stranger, and a security event in each brokerage."""
    # Outside a request the actor is set as tasks set it.
    with set_actor(personas.agent.user):
        own = make_listing(personas.agent.user, street_name="Birch")
        listing_update(listing=own, data={"list_price": "299000.00"}, actor=personas.agent.user)
    with set_actor(personas.stranger.user):
        other = make_listing(personas.stranger.user, street_name="Harborview")
    security_event_record(kind=SecurityEventKind.LOGIN, user=personas.agent.user)
    security_event_record(kind=SecurityEventKind.LOGIN_FAILED, username="sam")
    return {"own": own, "other": other}


def export_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_a_broker_sees_their_brokerages_changes_with_the_diff(client_for, history):
    response = client_for("broker").get(AUDIT)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Birch" in body
    assert "299000.00" in body and "350000.00" in body
    assert "Harborview" not in body


def test_the_audit_page_filters_by_user_object_date_and_action(client_for, history, personas):
    client = client_for("broker")
    listing = history["own"]
    property_type = ContentType.objects.get_for_model(Property)
    entries = client.get(
        AUDIT,
        {
            "actor": personas.agent.pk,
            "content_type": property_type.pk,
            "object_id": listing.pk,
            "action": LogEntry.Action.UPDATE,
            # The page's dates are the brokerage's (the current time zone), not UTC's.
            "date_after": timezone.localdate(listing.created_at).isoformat(),
        },
    ).context["entries"]
    assert [entry.object_pk for entry in entries] == [str(listing.pk)]
    assert all(entry.action == LogEntry.Action.UPDATE for entry in entries)
    nobody = client.get(AUDIT, {"actor": personas.colleague.pk}).context["entries"]
    assert list(nobody) == []
    future = client.get(AUDIT, {"date_after": "2999-01-01"}).context["entries"]
    assert list(future) == []


def test_the_audit_page_costs_the_same_queries_for_many_rows(
    client_for, history, personas, django_assert_num_queries
):
    client = client_for("broker")
    client.get(AUDIT)
    with set_actor(personas.colleague.user):
        for n in range(5):
            make_listing(personas.colleague.user, street_name=f"Street {n}")
    with django_assert_num_queries(7):
        response = client.get(AUDIT)
    assert len(response.context["entries"]) >= 7


def test_the_audit_export_has_the_filtered_rows(client_for, history, personas):
    response = client_for("broker").get(AUDIT_EXPORT, {"action": LogEntry.Action.UPDATE})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = export_rows(response)
    assert rows[0][:3] == ["time", "user", "action"]
    assert len(rows) > 1
    assert {row[2] for row in rows[1:]} == {"update"}
    assert all("Harborview" not in cell for row in rows for cell in row)


@pytest.mark.parametrize("url", [AUDIT, AUDIT_EXPORT, EVENTS, EVENTS_EXPORT])
@pytest.mark.parametrize("persona", ["agent", "assistant", "viewer", "stranger"])
def test_only_a_broker_reads_the_audit_trail(client_for, history, persona, url):
    assert client_for(persona).get(url).status_code == 403


@pytest.mark.parametrize("url", [AUDIT, EVENTS])
def test_anonymous_visitors_are_sent_to_sign_in(client_for, url):
    response = client_for("anonymous").get(url)
    assert response.status_code == 302
    assert reverse("login") in response.url


def test_another_brokerages_broker_sees_nothing_of_ours(history, personas):
    from django.test import Client

    from agents.choices import Role
    from tests.testing.factories import make_agent

    other_broker = make_agent(personas.other_brokerage, Role.BROKER)
    client = Client()
    client.force_login(other_broker.user)
    body = client.get(AUDIT).content.decode()
    assert "Harborview" in body and "Birch" not in body
    events = client.get(EVENTS).context["events"]
    assert {event.brokerage_id for event in events} == {personas.other_brokerage.pk}


def test_a_broker_sees_their_brokerages_security_events(client_for, history, personas):
    response = client_for("broker").get(EVENTS)
    assert response.status_code == 200
    kinds = {event.kind for event in response.context["events"]}
    assert SecurityEventKind.LOGIN in kinds
    assert all(event.brokerage_id == personas.brokerage.pk for event in response.context["events"])
    failed = client_for("broker").get(EVENTS, {"kind": SecurityEventKind.LOGIN_FAILED})
    assert list(failed.context["events"]) == []


def test_the_security_events_page_costs_the_same_queries_for_many_rows(
    client_for, history, personas, django_assert_num_queries
):
    client = client_for("broker")
    client.get(EVENTS)
    for user in (personas.colleague.user, personas.viewer.user, personas.assistant.user):
        security_event_record(kind=SecurityEventKind.LOGIN, user=user)
    with django_assert_num_queries(6):
        response = client.get(EVENTS)
    assert len(response.context["events"]) >= 5


def test_the_security_events_export_has_the_brokerages_rows(client_for, history):
    rows = export_rows(client_for("broker").get(EVENTS_EXPORT))
    assert rows[0][:2] == ["time", "event"]
    assert {row[1] for row in rows[1:]} >= {"Signed in"}
    assert all(row[3] != "sam" for row in rows[1:])


def test_security_events_are_read_only_in_the_back_office(client_for, history, personas):
    client = client_for("broker")
    changelist = client.get(reverse("admin:compliance_securityevent_changelist"))
    assert changelist.status_code == 200
    event = SecurityEvent.objects.filter(brokerage=personas.brokerage).first()
    change = client.get(reverse("admin:compliance_securityevent_change", args=[event.pk]))
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()
    assert client.get(reverse("admin:compliance_securityevent_add")).status_code == 403
    other = SecurityEvent.objects.create(
        kind=SecurityEventKind.LOGIN, brokerage=personas.other_brokerage
    )
    response = client.get(reverse("admin:compliance_securityevent_change", args=[other.pk]))
    assert response.status_code == 302
