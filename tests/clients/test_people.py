from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clients.choices import ActivityKind, Stage
from clients.models import Client
from clients.services.people import (
    activity_log,
    buyer_preference_save,
    client_create,
    client_stage_set,
    client_update,
)
from realestate.permissions import CHANGE, restrict
from tests.testing.factories import make_client

pytestmark = pytest.mark.django_db


def test_client_contact_details_are_normalised(personas):
    client = make_client(
        personas.agent.user, email=" Jane.Doe@Example.COM ", phone="(217) 555-0143 "
    )
    assert client.email == "jane.doe@example.com"
    assert client.phone == "+12175550143"
    assert client.assigned_agent == personas.agent


def test_bad_contact_details_are_reported_per_field(personas):
    with pytest.raises(ValidationError) as exc:
        client_create(
            data={
                "first_name": "Jo",
                "email": "not-an-email",
                "phone": "12",
                "time_zone": "Mars/X",
            },
            actor=personas.agent.user,
        )
    assert set(exc.value.message_dict) == {"email", "phone", "time_zone"}
    assert not Client.objects.exists()


def test_agent_sees_only_own_and_shared_clients(personas):
    mine = make_client(personas.agent.user)
    theirs = make_client(personas.colleague.user)
    shared = make_client(personas.colleague.user, co_agents=[personas.agent])
    other_firm = make_client(personas.stranger.user)
    visible = set(restrict(Client.objects.all(), personas.agent.user))
    assert visible == {mine, shared}
    assert theirs not in visible and other_firm not in visible
    assert set(restrict(Client.objects.all(), personas.broker.user)) == {mine, theirs, shared}
    assert set(restrict(Client.objects.all(), personas.agent.user, CHANGE)) == {mine, shared}


def test_pond_leads_are_seen_by_the_brokerage_but_not_changed(personas):
    lead = make_client(personas.broker.user)
    Client.objects.filter(pk=lead.pk).update(in_pond=True)
    assert lead in restrict(Client.objects.all(), personas.agent.user)
    assert lead not in restrict(Client.objects.all(), personas.agent.user, CHANGE)
    assert lead not in restrict(Client.objects.all(), personas.stranger.user)


def test_agent_cannot_hand_a_client_to_a_colleague(personas):
    with pytest.raises(ValidationError) as exc:
        client_create(
            data={"first_name": "Jo", "assigned_agent": personas.colleague},
            actor=personas.agent.user,
        )
    assert "assigned_agent" in exc.value.message_dict


def test_stage_change_is_written_to_the_timeline(personas):
    client = make_client(personas.agent.user)
    client_stage_set(client=client, stage=Stage.QUALIFIED, actor=personas.agent.user)
    subjects = list(client.activities.values_list("subject", flat=True))
    assert subjects[0] == "Stage: New → Qualified"


def test_contact_activity_marks_contact_and_moves_a_new_client_on(personas):
    client = make_client(personas.agent.user)
    when = timezone.now() - timedelta(hours=2)
    activity_log(
        client=client,
        kind=ActivityKind.CALL,
        subject="Intro call",
        actor=personas.agent.user,
        occurred_at=when,
    )
    client.refresh_from_db()
    assert client.last_contacted_at == when
    assert client.stage == Stage.CONTACTED


def test_lead_score_follows_its_signals_and_explains_them(personas):
    client = make_client(personas.agent.user)
    assert client.score == 0 or client.score < 10
    buyer_preference_save(
        client=client,
        data={
            "preapproval_status": "preapproved",
            "preapproval_amount": Decimal("450000"),
            "timeline": "now",
        },
        actor=personas.agent.user,
    )
    client.refresh_from_db()
    assert client.score == 50
    reasons = {r["signal"]: r for r in client.score_reasons}
    assert reasons["preapproval"]["reason"] == "Financing: Pre-approved for $450,000"
    activity_log(client=client, kind=ActivityKind.CALL, subject="Call", actor=personas.agent.user)
    client.refresh_from_db()
    assert client.score == 50 + 5 + 20


def test_preference_ranges_are_checked(personas):
    client = make_client(personas.agent.user)
    with pytest.raises(ValidationError) as exc:
        buyer_preference_save(
            client=client,
            data={"min_price": Decimal("500000"), "max_price": Decimal("400000")},
            actor=personas.agent.user,
        )
    assert "max_price" in exc.value.message_dict


def test_broker_reassigns_and_the_timeline_says_so(personas):
    client = make_client(personas.agent.user)
    client_update(
        client=client, data={"assigned_agent": personas.colleague}, actor=personas.broker.user
    )
    assert client.activities.first().subject == f"Assigned to {personas.colleague.name}"


def test_a_task_may_be_about_a_deal_the_agent_works_on(personas):
    from clients.services.people import task_create
    from tests.transactions.factories import make_deal

    deal = make_deal(personas.agent.user)
    task = task_create(
        data={
            "title": "Send the inspection report",
            "due_date": timezone.localdate(),
            "transaction": deal,
        },
        actor=personas.agent.user,
    )
    assert list(deal.tasks.all()) == [task]
    theirs = make_deal(personas.colleague.user)
    with pytest.raises(ValidationError) as exc:
        task_create(
            data={"title": "Peek", "due_date": timezone.localdate(), "transaction": theirs},
            actor=personas.agent.user,
        )
    assert "transaction" in exc.value.message_dict


def test_the_task_api_takes_a_deal(api_for, personas):
    from tests.transactions.factories import make_deal

    deal = make_deal(personas.agent.user)
    theirs = make_deal(personas.colleague.user)
    api = api_for("agent")
    response = api.post(
        "/api/v1/tasks/",
        {"title": "Order the appraisal", "due_date": "2026-12-01", "transaction": deal.pk},
    )
    assert response.status_code == 201 and response.json()["transaction"] == deal.pk
    refused = api.post(
        "/api/v1/tasks/",
        {"title": "Peek", "due_date": "2026-12-01", "transaction": theirs.pk},
    )
    assert refused.status_code == 400 and "transaction" in refused.json()


def test_a_task_is_only_about_a_client_the_agent_may_change(personas):
    from clients.services.people import task_create

    lead = make_client(personas.broker.user)
    Client.objects.filter(pk=lead.pk).update(in_pond=True)
    with pytest.raises(ValidationError) as exc:
        task_create(
            data={"title": "Call", "due_date": timezone.localdate(), "client": lead},
            actor=personas.agent.user,
        )
    assert "client" in exc.value.message_dict
    mine = make_client(personas.agent.user)
    task = task_create(
        data={"title": "Call", "due_date": timezone.localdate(), "client": mine},
        actor=personas.agent.user,
    )
    assert task.client == mine
