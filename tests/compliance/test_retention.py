"""Data retention (dry run, run, schedule), a client's data export and erasure on request."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from clients.choices import ActivityKind, Stage
from clients.models import Activity, Client
from clients.services.people import activity_log, client_update, task_create
from compliance.models import ConsentRecord, RetentionPolicy, RetentionRun
from compliance.services.consent import consent_record
from compliance.services.retention import (
    client_data_export,
    client_erase,
    retention_policy_save,
    retention_run,
    retention_runs_scheduled,
)
from compliance.tasks import retention_runs_task
from tests.testing.factories import make_client
from tests.transactions.factories import make_deal
from transactions.choices import DealStage, PartyRole
from transactions.models import Transaction

LONG_AGO = timezone.now() - timedelta(days=365 * 6)


def closed_client(actor, stage=Stage.CLOSED, **fields):
    """A client closed out six years ago (the default period is five)."""
    client = make_client(
        actor,
        first_name="Old",
        last_name="Buyer",
        email="old@example.com",
        phone="2175550144",
        street_address="1 Elm St",
        notes="Divorcing, needs to sell fast",
        **fields,
    )
    client_update(client=client, data={"stage": stage}, actor=actor)
    Client.objects.filter(pk=client.pk).update(created_at=LONG_AGO, last_contacted_at=LONG_AGO)
    Activity.objects.filter(client=client).update(occurred_at=LONG_AGO)
    client.refresh_from_db()
    return client


@pytest.fixture
def old(personas):
    client = closed_client(personas.agent.user)
    client.government_id = "P-5551234"
    client.save()
    consent_record(
        client=client,
        channel="email",
        status="revoked",
        source="agent",
        note="Told Jane on the phone",
    )
    ConsentRecord.objects.update(recorded_at=LONG_AGO)
    return client


def test_a_dry_run_lists_closed_out_clients_and_changes_nothing(personas, old):
    agent = personas.agent.user
    active = make_client(agent)  # an open stage
    recent = closed_client(agent)
    activity_log(client=recent, kind=ActivityKind.NOTE, subject="Still in touch", actor=agent)
    with_task = closed_client(agent)
    task_create(data={"title": "Call", "client": with_task, "due_date": "2030-01-01"}, actor=agent)
    with_deal = closed_client(agent, stage=Stage.LOST)
    # An open deal keeps its client, however long nothing happened on it.
    deal = make_deal(agent, parties=[{"role": PartyRole.BUYER, "client": with_deal}])
    Transaction.objects.filter(pk=deal.pk).update(updated_at=LONG_AGO)
    other_firm = closed_client(personas.stranger.user)

    run = retention_run(
        brokerage_id=personas.brokerage.pk, dry_run=True, actor=personas.broker.user
    )

    assert run.client_ids == [old.pk]
    assert (run.dry_run, run.candidates, run.anonymised, run.period_months) == (True, 1, 0, 60)
    old.refresh_from_db()
    assert old.anonymised_at is None and old.email == "old@example.com"
    assert {active.pk, recent.pk, with_task.pk, with_deal.pk, other_firm.pk}.isdisjoint(
        run.client_ids
    )


def test_a_run_anonymises_and_keeps_the_statistics(personas, old):
    make_deal(personas.agent.user, parties=[{"role": PartyRole.BUYER, "client": old}])
    Transaction.objects.update(stage=DealStage.CLOSED, updated_at=LONG_AGO)
    run = retention_run(
        brokerage_id=personas.brokerage.pk, dry_run=False, actor=personas.broker.user
    )

    assert (run.candidates, run.anonymised) == (1, 1)
    old.refresh_from_db()
    assert old.name == f"Anonymised client #{old.pk}"
    assert (old.email, old.phone, old.street_address, old.notes, old.government_id) == (
        "",
        "",
        "",
        "",
        "",
    )
    assert (old.stage, old.assigned_agent, old.created_at) == (
        Stage.CLOSED,
        personas.agent,
        LONG_AGO,
    )
    assert old.deals.get().name == old.name and old.deals.get().email == ""
    record = ConsentRecord.objects.get(client=old)
    assert (record.channel, record.status, record.note) == ("email", "revoked", "")
    history = " ".join(
        f"{e.changes} {e.object_repr} {e.serialized_data} {e.changes_text}"
        for e in LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Client), object_pk=str(old.pk)
        )
    )
    for secret in ("old@example.com", "Old", "Divorcing", "1 Elm St"):
        assert secret not in history
    timeline = " ".join(f"{a.subject} {a.body} {a.details}" for a in old.activities.all())
    assert "Old" not in timeline and "Stage: New → Closed" in timeline


def test_running_again_anonymises_nothing_twice(personas, old):
    retention_run(brokerage_id=personas.brokerage.pk, dry_run=False, actor=personas.broker.user)
    again = retention_run(
        brokerage_id=personas.brokerage.pk, dry_run=False, actor=personas.broker.user
    )
    assert (again.candidates, again.anonymised) == (0, 0)


def test_the_schedule_runs_only_for_brokerages_that_enabled_it(personas, old):
    other = closed_client(personas.stranger.user)
    assert retention_runs_task() == []
    retention_policy_save(
        brokerage_id=personas.brokerage.pk,
        period_months=60,
        enabled=True,
        actor=personas.broker.user,
    )
    [run_id] = retention_runs_task()
    run = RetentionRun.objects.get(pk=run_id)
    assert (run.dry_run, run.trigger, run.anonymised) == (False, "schedule", 1)
    other.refresh_from_db()
    assert other.anonymised_at is None


def test_overlapping_scheduled_runs_do_nothing(personas, old):
    from django.core.cache import cache

    from compliance.services.retention import RETENTION_LOCK

    RetentionPolicy.objects.create(brokerage=personas.brokerage, enabled=True)
    cache.add(RETENTION_LOCK, "1")
    assert retention_runs_scheduled() is None
    assert not RetentionRun.objects.exists()


def test_a_shorter_period_reaches_more_clients(personas):
    client = closed_client(personas.agent.user)
    Client.objects.filter(pk=client.pk).update(created_at=timezone.now() - timedelta(days=300))
    Activity.objects.filter(client=client).update(occurred_at=timezone.now() - timedelta(days=300))
    Client.objects.filter(pk=client.pk).update(last_contacted_at=None)
    brokerage_id = personas.brokerage.pk
    assert retention_run(brokerage_id=brokerage_id, dry_run=True).candidates == 0
    retention_policy_save(
        brokerage_id=brokerage_id, period_months=6, enabled=False, actor=personas.broker.user
    )
    assert retention_run(brokerage_id=brokerage_id, dry_run=True).candidates == 1


def test_only_a_broker_sets_the_period_or_runs_retention(personas, old):
    with pytest.raises(PermissionDenied):
        retention_policy_save(
            brokerage_id=personas.brokerage.pk,
            period_months=6,
            enabled=True,
            actor=personas.agent.user,
        )
    with pytest.raises(PermissionDenied):
        retention_run(brokerage_id=personas.brokerage.pk, dry_run=False, actor=personas.agent.user)
    with pytest.raises(PermissionDenied):
        retention_run(
            brokerage_id=personas.brokerage.pk, dry_run=False, actor=personas.stranger.user
        )
    old.refresh_from_db()
    assert old.anonymised_at is None


# ---------- export and erasure ----------


def test_the_export_holds_everything_but_the_plain_government_id(personas, old):
    task_create(
        data={"title": "Send closing gift", "client": old, "due_date": "2030-01-01"},
        actor=personas.agent.user,
    )
    make_deal(
        personas.agent.user, parties=[{"role": PartyRole.BUYER, "client": old}], name="12 Oak"
    )
    data = client_data_export(client=old, actor=personas.agent.user)
    assert data["client"]["email"] == "old@example.com"
    assert data["client"]["government_id"] == "•••• 1234"
    assert [t["title"] for t in data["tasks"]] == ["Send closing gift"]
    assert [r["note"] for r in data["consent"]] == ["Told Jane on the phone"]
    assert [(d["name"], d["roles"]) for d in data["deals"]] == [("12 Oak", ["buyer"])]
    assert data["timeline"] and data["saved_searches"] == [] and data["showings"] == []
    with pytest.raises(PermissionDenied):
        client_data_export(client=old, actor=personas.colleague.user)


def test_erasure_is_for_brokers_with_a_reason_in_the_audit_log(personas, old):
    with pytest.raises(PermissionDenied):
        client_erase(client=old, actor=personas.agent.user, reason="asked")
    with pytest.raises(ValidationError):
        client_erase(client=old, actor=personas.broker.user, reason="  ")
    client_erase(client=old, actor=personas.broker.user, reason="Email of 3 May")
    old.refresh_from_db()
    assert old.anonymised_at is not None and old.email == ""
    entry = LogEntry.objects.filter(additional_data__anonymised=True).get()
    assert entry.additional_data["reason"] == "Erasure request: Email of 3 May"
    assert entry.actor == personas.broker.user
    with pytest.raises(ValidationError):
        client_erase(client=old, actor=personas.broker.user, reason="again")
    with pytest.raises(ValidationError):
        client_update(client=old, data={"first_name": "Back"}, actor=personas.agent.user)
