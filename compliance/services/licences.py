"""Licences: broker edits, the gate that keeps lapsed agents off new work, expiry and alerts.

An agent's licence has lapsed when the brokerage has entered licences for them and none is in
good standing (active and not past its expiry date). An agent with no licence on file is not
held back: brokerages enter licences over time, and gating everyone on the day this feature
ships would stop the firm's work.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from agents.choices import EventName
from agents.services.events import event_record
from compliance.models.licences import (
    EXPIRY_ALERT_DAYS,
    Licence,
    LicenceAlert,
    LicenceStatus,
)
from realestate.permissions import actor_for

LICENCE_EDITABLE_FIELDS = frozenset(
    {
        "agent",
        "number",
        "state",
        "licence_type",
        "issued_on",
        "expires_on",
        "status",
        "ce_hours_required",
        "ce_hours_completed",
        "notes",
    }
)


def _require_broker(*, actor, brokerage_id):
    who = actor_for(actor)
    if actor.is_superuser:
        return
    if not (who.is_broker and who.brokerage_id == brokerage_id):
        raise PermissionDenied("Only a broker of the agent's brokerage keeps their licences.")


def _licence_save(licence, data, actor):
    unknown = set(data) - LICENCE_EDITABLE_FIELDS
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set."))
    for field, value in data.items():
        setattr(licence, field, value)
    if licence.agent_id is None:
        raise ValidationError({"agent": "Choose the agent who holds the licence."})
    _require_broker(actor=actor, brokerage_id=licence.agent.brokerage_id)
    licence.state = (licence.state or "").upper()
    licence.full_clean()
    licence.save()
    return licence


@transaction.atomic
def licence_create(*, data, actor):
    """Record a licence an agent of the broker's brokerage holds."""
    return _licence_save(Licence(), dict(data), actor)


@transaction.atomic
def licence_update(*, licence, data, actor):
    """Change a licence: renewal (new expiry), status, CE hours."""
    _require_broker(actor=actor, brokerage_id=licence.agent.brokerage_id)
    return _licence_save(licence, dict(data), actor)


@transaction.atomic
def licence_delete(*, licence, actor):
    """Remove a licence entered by mistake (the audit log keeps the record)."""
    _require_broker(actor=actor, brokerage_id=licence.agent.brokerage_id)
    licence.delete()


def agents_with_lapsed_licence(*, agent_ids, today=None):
    """The ids among ``agent_ids`` whose licences on file are all expired or not active."""
    today = today or timezone.localdate()
    on_file, good = set(), set()
    rows = Licence.objects.filter(agent_id__in=list(agent_ids)).values_list(
        "agent_id", "status", "expires_on"
    )
    for agent_id, status, expires_on in rows:
        on_file.add(agent_id)
        if status == LicenceStatus.ACTIVE and expires_on >= today:
            good.add(agent_id)
    return on_file - good


def licence_assert_active(*, agent, field="agent", today=None):
    """Refuse new work (clients, listings, deals) for an agent whose licence has lapsed."""
    if agent is None:
        return
    if agent.pk in agents_with_lapsed_licence(agent_ids=[agent.pk], today=today):
        raise ValidationError(
            {
                field: (
                    f"{agent.name}'s licence has lapsed: renew it before giving them new "
                    "clients, listings or deals."
                )
            },
            code="licence_lapsed",
        )


def licences_expire(*, today=None):
    """Mark active licences past their expiry date as expired; returns how many."""
    today = today or timezone.localdate()
    expired = 0
    lapsed = Licence.objects.filter(status=LicenceStatus.ACTIVE, expires_on__lt=today)
    for licence in lapsed.select_related("agent__user"):
        # One save per row so that the audit log records each licence's change.
        with transaction.atomic():
            licence.status = LicenceStatus.EXPIRED
            licence.save(update_fields=["status", "updated_at"])
            event_record(
                brokerage=licence.agent.brokerage_id,
                name=EventName.COMPLIANCE_VIOLATION,
                subject=licence,
                payload={
                    "kind": "licence_expired",
                    "licence_id": licence.pk,
                    "agent_id": licence.agent_id,
                    "agent": licence.agent.name,
                    "state": licence.state,
                    "expires_on": licence.expires_on.isoformat(),
                },
            )
        expired += 1
    return expired


def alert_threshold(days_left):
    """The tightest alert threshold (90, 60 or 30 days) a licence has reached, or None."""
    reached = [days for days in EXPIRY_ALERT_DAYS if 0 <= days_left <= days]
    return min(reached) if reached else None


def broker_emails(*, brokerage_id):
    """Email addresses of the brokerage's active brokers."""
    from agents.choices import Role
    from agents.models import Agent

    return list(
        Agent.objects.filter(
            brokerage_id=brokerage_id,
            is_active=True,
            user__is_active=True,
            user__groups__name=Role.BROKER.label,
        )
        .exclude(user__email="")
        .values_list("user__email", flat=True)
        .distinct()
    )


def licence_expiry_alerts_send(*, today=None):
    """Email the agent and their brokers when a licence is 90, 60 or 30 days from expiry.

    Each threshold is sent once per licence and expiry date: the alert row is written and the
    mail sent in one transaction, so a failed send leaves no row and the retry sends it, and a
    second run finds the row and sends nothing. A renewal (a new expiry date) starts again.
    """
    today = today or timezone.localdate()
    due = (
        Licence.objects.filter(
            status=LicenceStatus.ACTIVE,
            expires_on__gte=today,
            expires_on__lte=today + timedelta(days=max(EXPIRY_ALERT_DAYS)),
            agent__is_active=True,
        )
        .select_related("agent__user")
        .order_by("expires_on", "pk")
    )
    brokers_by_brokerage = {}
    sent = 0
    for licence in due:
        days_left = licence.days_left(today)
        threshold = alert_threshold(days_left)
        brokerage_id = licence.agent.brokerage_id
        if brokerage_id not in brokers_by_brokerage:
            brokers_by_brokerage[brokerage_id] = broker_emails(brokerage_id=brokerage_id)
        recipients = [licence.agent.user.email, *brokers_by_brokerage[brokerage_id]]
        recipients = list(dict.fromkeys(email for email in recipients if email))
        try:
            with transaction.atomic():
                LicenceAlert.objects.create(
                    licence=licence, days_before=threshold, expires_on=licence.expires_on
                )
                if recipients:
                    _expiry_email(licence, days_left, recipients).send()
        except IntegrityError:
            continue  # this threshold was sent for this expiry date already
        sent += 1
    return sent


def _expiry_email(licence, days_left, recipients):
    context = {"licence": licence, "agent": licence.agent, "days_left": days_left}
    return EmailMessage(
        subject=(
            f"{licence.agent.name}'s {licence.state} licence expires in {days_left} days "
            f"({licence.expires_on:%b %-d, %Y})"
        ),
        body=render_to_string("compliance/emails/licence_expiry.txt", context),
        to=recipients,
    )
