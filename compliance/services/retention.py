"""Data retention and the rights of a client: anonymise closed-out clients after the broker's
period (a dry run first), export a client's data as JSON, erase a client on request.

A client is *closed out* when their stage is Closed or Lost and nothing happened with them
since the cutoff (now minus the brokerage's period): no contact, timeline entry, showing, task
or deal change after it, no open task or deal, and the client itself older than it.
Anonymising removes what identifies the person and keeps what the brokerage counts: stage,
source, agent, dates, roles, city and state, deal links, and the consent log's channels and
decisions.
"""

from dateutil.relativedelta import relativedelta
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from clients.choices import ActivityKind, Stage
from clients.models import Activity, BuyerPreference, Client, SavedSearch, Showing, Task
from compliance.encryption import mask
from compliance.models.privacy import (
    ConsentRecord,
    RetentionPolicy,
    RetentionRun,
    RetentionTrigger,
)
from realestate.permissions import VIEW, actor_for, can
from transactions.choices import OPEN_DEAL_STAGES
from transactions.models import Party, Transaction

CLOSED_OUT_STAGES = (Stage.CLOSED, Stage.LOST)
# Client fields that identify the person: emptied. The rest is kept for statistics.
CLIENT_PII_FIELDS = (
    "email",
    "alternate_email",
    "phone",
    "alternate_phone",
    "street_address",
    "postal_code",
    "notes",
    "government_id",
)
# Timeline details that are statistics, not personal: kept when anonymising.
KEPT_DETAILS = ("old_stage", "new_stage", "event", "rating", "saved_search", "listings")
# One scheduled retention pass at a time (a lock on the shared cache).
RETENTION_LOCK = "compliance:retention-run"
RETENTION_LOCK_SECONDS = 60 * 60


def _check_broker(actor, brokerage_id, message):
    who = actor_for(actor)
    if not (actor.is_superuser or (who.is_broker and who.brokerage_id == brokerage_id)):
        raise PermissionDenied(message)


def retention_policy_for(*, brokerage_id):
    """The brokerage's retention policy; the defaults (unsaved, not enabled) when none is set."""
    return RetentionPolicy.objects.filter(brokerage_id=brokerage_id).first() or RetentionPolicy(
        brokerage_id=brokerage_id
    )


@transaction.atomic
def retention_policy_save(*, brokerage_id, period_months, enabled, actor):
    """Set how long closed-out clients are kept and whether the monthly job anonymises them."""
    _check_broker(actor, brokerage_id, "Only a broker sets the retention period.")
    policy = retention_policy_for(brokerage_id=brokerage_id)
    policy.period_months, policy.enabled, policy.updated_by = period_months, enabled, actor
    policy.full_clean(exclude=["brokerage", "updated_by"])
    policy.save()
    return policy


def retention_cutoff(*, period_months, now=None):
    """The moment before which a closed-out client's last activity must lie."""
    return (now or timezone.now()) - relativedelta(months=period_months)


def retention_candidates(*, brokerage_id, cutoff):
    """The brokerage's closed-out clients with no activity since ``cutoff`` (see module doc)."""
    recent_deal = Party.objects.filter(client=OuterRef("pk")).filter(
        Q(transaction__updated_at__gte=cutoff) | Q(transaction__stage__in=OPEN_DEAL_STAGES)
    )
    return (
        Client.objects.filter(
            brokerage_id=brokerage_id,
            anonymised_at__isnull=True,
            stage__in=CLOSED_OUT_STAGES,
            created_at__lt=cutoff,
        )
        .filter(Q(last_contacted_at__isnull=True) | Q(last_contacted_at__lt=cutoff))
        .exclude(Exists(Activity.objects.filter(client=OuterRef("pk"), occurred_at__gte=cutoff)))
        .exclude(
            Exists(
                Showing.objects.filter(client=OuterRef("pk")).filter(
                    Q(starts_at__gte=cutoff) | Q(updated_at__gte=cutoff)
                )
            )
        )
        .exclude(
            Exists(
                Task.objects.filter(client=OuterRef("pk")).filter(
                    Q(created_at__gte=cutoff) | Q(done_at__gte=cutoff) | Q(done_at__isnull=True)
                )
            )
        )
        .exclude(Exists(recent_deal))
        .order_by("pk")
    )


def retention_run(*, brokerage_id, dry_run, trigger=RetentionTrigger.MANUAL, actor=None, now=None):
    """One retention pass: a dry run lists the closed-out clients, a real run anonymises them.

    Either way a :class:`RetentionRun` records the period, the cutoff and the clients. Running
    again anonymises nothing twice: anonymised clients are no longer candidates.
    """
    if actor is not None:
        _check_broker(actor, brokerage_id, "Only a broker runs data retention.")
    now = now or timezone.now()
    policy = retention_policy_for(brokerage_id=brokerage_id)
    cutoff = retention_cutoff(period_months=policy.period_months, now=now)
    run = RetentionRun.objects.create(
        brokerage_id=brokerage_id,
        dry_run=dry_run,
        trigger=trigger,
        period_months=policy.period_months,
        cutoff=cutoff,
        actor=actor,
        started_at=now,
    )
    client_ids = list(
        retention_candidates(brokerage_id=brokerage_id, cutoff=cutoff).values_list("pk", flat=True)
    )
    anonymised = 0
    if not dry_run:
        reason = f"Retention: closed out for {policy.period_months} months (run {run.pk})"
        for client in Client.objects.filter(pk__in=client_ids).order_by("pk"):
            with transaction.atomic():
                anonymised += client_anonymise(client=client, actor=actor, reason=reason)
    run.candidates, run.anonymised, run.client_ids = len(client_ids), anonymised, client_ids
    run.finished_at = timezone.now()
    run.save(update_fields=["candidates", "anonymised", "client_ids", "finished_at"])
    return run


def retention_runs_scheduled(*, now=None):
    """The scheduled job: a real run for each brokerage that enabled retention.

    Takes a lock on the shared cache so that two beats or a retried task never overlap; a
    pass that finds the lock taken does nothing and returns ``None``.
    """
    if not cache.add(RETENTION_LOCK, "1", RETENTION_LOCK_SECONDS):
        return None
    try:
        brokerage_ids = RetentionPolicy.objects.filter(enabled=True).values_list(
            "brokerage_id", flat=True
        )
        return [
            retention_run(
                brokerage_id=brokerage_id,
                dry_run=False,
                trigger=RetentionTrigger.SCHEDULE,
                now=now,
            )
            for brokerage_id in list(brokerage_ids)
        ]
    finally:
        cache.delete(RETENTION_LOCK)


def _scrub_audit_log(client, reason, actor):
    """The audit log keeps that rows changed, not the personal values they held."""
    from auditlog.models import LogEntry

    related = (
        (Client, [client.pk]),
        (BuyerPreference, BuyerPreference.objects.filter(client=client).values_list("pk")),
        (Task, Task.objects.filter(client=client).values_list("pk")),
        (Showing, Showing.objects.filter(client=client).values_list("pk")),
        (SavedSearch, SavedSearch.objects.filter(client=client).values_list("pk")),
        (Party, Party.objects.filter(client=client).values_list("pk")),
    )
    for model, pks in related:
        pks = [str(pk[0] if isinstance(pk, tuple) else pk) for pk in pks]
        if pks:
            LogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(model), object_pk__in=pks
            ).update(
                changes={},
                changes_text="",
                serialized_data=None,
                object_repr=f"Anonymised {model._meta.verbose_name} of client #{client.pk}",
            )
    LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Client),
        object_pk=str(client.pk),
        object_id=client.pk,
        object_repr=client.name,
        action=LogEntry.Action.UPDATE,
        changes={"personal data": ["(removed)", "anonymised"]},
        actor=actor,
        additional_data={"anonymised": True, "reason": reason},
    )


def client_anonymise(*, client, actor=None, reason):
    """Remove what identifies a client (see the module doc); 0 if it already was, else 1.

    Writes go through queryset updates so that no change history holds the old values.
    """
    updated = Client.objects.filter(pk=client.pk, anonymised_at__isnull=True).update(
        first_name="Anonymised client",
        last_name=f"#{client.pk}",
        **dict.fromkeys(CLIENT_PII_FIELDS, ""),
        anonymised_at=timezone.now(),
        updated_at=timezone.now(),
    )
    if not updated:
        return 0
    client.refresh_from_db()
    labels = dict(ActivityKind.choices)
    for activity in Activity.objects.filter(client=client).only("pk", "kind", "details"):
        details = {k: v for k, v in (activity.details or {}).items() if k in KEPT_DETAILS}
        subject = labels.get(activity.kind, "Entry")
        if "new_stage" in details and "old_stage" in details:
            subject = (
                f"Stage: {Stage(details['old_stage']).label} → {Stage(details['new_stage']).label}"
            )
        Activity.objects.filter(pk=activity.pk).update(subject=subject, body="", details=details)
    BuyerPreference.objects.filter(client=client).update(motivation="")
    Task.objects.filter(client=client).update(title="Task about an anonymised client", notes="")
    Showing.objects.filter(client=client).update(notes="", feedback="")
    SavedSearch.objects.filter(client=client).update(
        name="Anonymised client's search", keywords="", is_active=False
    )
    Party.objects.filter(client=client).update(name=client.name, company="", email="", phone="")
    ConsentRecord.objects.filter(client=client).update(note="")
    _scrub_audit_log(client, reason, actor)
    return 1


@transaction.atomic
def client_erase(*, client, actor, reason):
    """A client's request to be forgotten: anonymised now, the reason in the audit log.
    Brokers only."""
    _check_broker(actor, client.brokerage_id, "Only a broker erases a client's data.")
    reason = " ".join(str(reason).split())
    if not reason:
        raise ValidationError({"reason": "Say why (e.g. the client's request of 3 May)."})
    if client.anonymised_at is not None:
        raise ValidationError("This client's personal data was already removed.")
    client_anonymise(client=client, actor=actor, reason=f"Erasure request: {reason}")
    return client


def _row(instance, fields):
    return {name: _plain(getattr(instance, name)) for name in fields}


def _plain(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value.__class__.__name__ == "Decimal":
        return str(value)
    return value


def client_data_export(*, client, actor):
    """Everything the CRM holds about a client, as JSON-ready data (a data-access request).

    The government ID is given masked: the export is handed over by an agent, by email.
    """
    if not can(actor, client, VIEW):
        raise PermissionDenied("You cannot see this client.")
    client_fields = [
        f.name
        for f in Client._meta.concrete_fields
        if f.name not in ("government_id", "score_reasons") and not f.is_relation
    ]
    data = {
        "exported_at": timezone.now().isoformat(),
        "client": {
            **_row(client, client_fields),
            "government_id": mask(client.government_id),
            "source": client.source.name if client.source_id else None,
            "assigned_agent": client.assigned_agent.name if client.assigned_agent_id else None,
            "tags": list(client.tags.values_list("name", flat=True)),
        },
    }
    preference = BuyerPreference.objects.filter(client=client).first()
    data["preferences"] = (
        _row(
            preference, [f.name for f in BuyerPreference._meta.concrete_fields if not f.is_relation]
        )
        if preference
        else None
    )
    data["timeline"] = [
        _row(a, ["kind", "subject", "body", "occurred_at", "details"])
        for a in Activity.objects.filter(client=client).order_by("occurred_at", "pk")
    ]
    data["tasks"] = [
        _row(t, ["title", "notes", "due_date", "due_time", "done_at", "created_at"])
        for t in Task.objects.filter(client=client).order_by("due_date", "pk")
    ]
    data["showings"] = [
        {
            **_row(s, ["starts_at", "ends_at", "status", "notes", "feedback", "feedback_rating"]),
            "listing": s.listing.address_line,
        }
        for s in Showing.objects.filter(client=client)
        .select_related("listing")
        .order_by("starts_at")
    ]
    data["saved_searches"] = [
        _row(s, ["name", "criteria", "frequency", "is_active", "unsubscribed_at", "created_at"])
        for s in SavedSearch.objects.filter(client=client).order_by("pk")
    ]
    data["consent"] = [
        _row(r, ["channel", "status", "source", "note", "recorded_at"])
        for r in ConsentRecord.objects.filter(client=client).order_by("recorded_at", "pk")
    ]
    deals = Transaction.objects.filter(parties__client=client).distinct().order_by("pk")
    data["deals"] = [
        {
            **_row(d, ["name", "side", "stage", "closing_on", "closed_on"]),
            "roles": list(
                Party.objects.filter(transaction=d, client=client).values_list("role", flat=True)
            ),
        }
        for d in deals
    ]
    return data
