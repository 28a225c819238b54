"""Deals: creating and changing them, their stage, parties, milestones and reminders."""

import logging
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string
from django.utils import timezone

from agents.choices import EventName
from agents.services.events import event_record
from compliance.services.licences import agents_with_lapsed_licence, licence_assert_active
from realestate.permissions import CHANGE, VIEW, actor_for, can
from transactions.choices import (
    OPEN_DEAL_STAGES,
    STAGE_TRANSITIONS,
    DateField,
    DealStage,
    PartyRole,
    ReviewState,
)
from transactions.models import ChecklistTemplate, Milestone, Party, Transaction

logger = logging.getLogger(__name__)

# Fields a person sets on a deal; the stage, sale and fall-through go through deal_stage_set.
DEAL_EDITABLE_FIELDS = frozenset(
    {
        "name",
        "side",
        "property",
        "agent",
        "offer_price",
        "earnest_money",
        "commission_rate",
        "commission_amount",
        "buyer_side_commission_rate",
        "buyer_side_commission_amount",
        "referral_rate",
        "referral_amount",
        "contract_accepted_on",
        "inspection_deadline",
        "appraisal_deadline",
        "financing_deadline",
        "closing_on",
        "possession_on",
        "notes",
    }
)
KEY_DATE_FIELDS = frozenset(DateField.values)
PARTY_FIELDS = frozenset({"role", "name", "company", "email", "phone", "client"})
MILESTONE_FIELDS = frozenset(
    {"title", "due_on", "owner", "requires_document", "required_for_closing"}
)
# Parties whose client record follows the deal to its close.
CLIENT_PARTY_ROLES = (PartyRole.BUYER, PartyRole.SELLER)
REMINDER_DAYS_AHEAD = 3
# How each stage reads in "A deal ... can move to ...".
STAGE_PHRASES = {
    DealStage.PRE_CONTRACT: "in pre-contract",
    DealStage.UNDER_CONTRACT: "under contract",
    DealStage.PENDING: "pending",
    DealStage.CLOSED: "closed",
    DealStage.FELL_THROUGH: "that fell through",
}


def _check_fields(data, allowed):
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(
            dict.fromkeys(sorted(unknown), "This field cannot be set."), code="read_only"
        )


def _require_change(deal, actor):
    if not can(actor, deal, CHANGE):
        raise PermissionDenied("You cannot change this deal.")


def _require_open(deal):
    if deal.stage not in OPEN_DEAL_STAGES:
        raise ValidationError(f"This deal is {deal.get_stage_display().lower()}; it is final.")


def _clean_deal(deal, data, actor):
    for field, value in data.items():
        setattr(deal, field, value)
    errors = {}
    who = actor_for(actor)
    agent = deal.agent if deal.agent_id else None
    if agent is None:
        errors["agent"] = ["Choose the deal's agent."]
    elif agent.brokerage_id != deal.brokerage_id:
        errors["agent"] = ["Choose an agent of your brokerage."]
    elif "agent" in data and not (who.is_broker or agent.user_id == actor.pk):
        from agents.choices import Role

        if who.role != Role.ASSISTANT:
            errors["agent"] = ["You can only run deals yourself."]
    prop = deal.property
    if prop is not None and prop.brokerage_id != deal.brokerage_id:
        errors["property"] = ["Choose a property of your brokerage."]
    try:
        deal.full_clean(exclude=[*errors, "brokerage", "agent", "property", "created_by"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def deal_co_agents_set(*, deal, agents):
    """Agents who work the deal with its agent: they see and change it (guardian)."""
    from guardian.shortcuts import assign_perm, remove_perm

    agents = list(agents)
    if any(agent.brokerage_id != deal.brokerage_id for agent in agents):
        raise ValidationError({"co_agents": "Choose agents of your brokerage."})
    before = set(deal.co_agents.all())
    added = set(agents) - before
    lapsed = agents_with_lapsed_licence(agent_ids=[agent.pk for agent in added]) if added else ()
    if lapsed:
        names = ", ".join(sorted(agent.name for agent in added if agent.pk in lapsed))
        raise ValidationError(
            {"co_agents": f"The licence has lapsed for {names}: renew it before adding them."},
            code="licence_lapsed",
        )
    for agent in before - set(agents):
        for action in (VIEW, CHANGE):
            remove_perm(f"transactions.{action}_transaction", agent.user, deal)
    # Someone who no longer works the deal has no share of its commission.
    deal.commission_shares.filter(agent__in=before - set(agents)).delete()
    for agent in set(agents) - before:
        for action in (VIEW, CHANGE):
            assign_perm(f"transactions.{action}_transaction", agent.user, deal)
    deal.co_agents.set(agents)


def checklist_template_for(*, deal):
    """The first active template of the brokerage for the deal's side and property's state."""
    state = deal.property.state_or_province.upper() if deal.property_id else None
    templates = ChecklistTemplate.objects.filter(
        brokerage_id=deal.brokerage_id, is_active=True
    ).order_by("name", "pk")
    for template in templates:
        sides_match = not template.sides or deal.side in template.sides
        states = [str(value).upper() for value in template.states]
        states_match = not states or state in states
        if sides_match and states_match:
            return template
    return None


def milestone_due_on(*, deal, due_from, offset_days):
    """The date a milestone is due: its key date of the deal plus the offset, if that is set."""
    if not due_from:
        return None
    base = getattr(deal, due_from, None)
    return base + timedelta(days=offset_days) if base else None


def _milestones_generate(deal):
    template = checklist_template_for(deal=deal)
    if template is None:
        return []
    milestones = [
        Milestone(
            transaction=deal,
            item=item,
            title=item.title,
            position=item.position,
            due_on=milestone_due_on(
                deal=deal, due_from=item.due_from, offset_days=item.due_offset_days
            ),
            owner=deal.agent,
            requires_document=item.requires_document,
            required_for_closing=item.required_for_closing,
        )
        for item in template.items.all()
    ]
    return Milestone.objects.bulk_create(milestones)


def _milestones_reschedule(deal):
    """Open milestones from a template follow the deal's key dates."""
    changed = []
    for milestone in deal.milestones.filter(
        item__isnull=False, done_at__isnull=True, waived_at__isnull=True
    ).select_related("item"):
        due_on = milestone_due_on(
            deal=deal, due_from=milestone.item.due_from, offset_days=milestone.item.due_offset_days
        )
        if due_on != milestone.due_on:
            milestone.due_on = due_on
            changed.append(milestone)
    Milestone.objects.bulk_update(changed, ["due_on"])
    return changed


@transaction.atomic
def deal_create(*, data, actor, parties=(), co_agents=()):
    """A new deal of the actor's brokerage, run by the actor unless a broker assigns it."""
    who = actor_for(actor)
    if not who.can_write or who.agent is None:
        raise PermissionDenied("You cannot add deals.")
    data = dict(data)
    _check_fields(data, DEAL_EDITABLE_FIELDS)
    if not data.get("agent"):
        data["agent"] = who.agent
    deal = Transaction(brokerage_id=who.brokerage_id, created_by=actor)
    _clean_deal(deal, data, actor)
    licence_assert_active(agent=deal.agent)
    deal.save()
    deal_co_agents_set(deal=deal, agents=co_agents)
    for party in parties:
        _party_save(deal, dict(party))
    _milestones_generate(deal)
    return deal


@transaction.atomic
def deal_update(*, deal, data, actor, co_agents=None):
    """Change a deal; new key dates move the due dates of its open checklist milestones."""
    _require_change(deal, actor)
    data = dict(data)
    _check_fields(data, DEAL_EDITABLE_FIELDS)
    old_dates = {field: getattr(deal, field) for field in KEY_DATE_FIELDS}
    old_agent_id = deal.agent_id
    _clean_deal(deal, data, actor)
    if deal.agent_id != old_agent_id:
        licence_assert_active(agent=deal.agent)
    deal.save()
    if co_agents is not None:
        deal_co_agents_set(deal=deal, agents=co_agents)
    if any(getattr(deal, field) != value for field, value in old_dates.items()):
        _milestones_reschedule(deal)
    return deal


def deal_items_unapproved(*, deal):
    """The checklist items required to close (and to pay the commission) not yet approved nor
    waived, in checklist order."""
    return (
        deal.milestones.filter(required_for_closing=True, waived_at__isnull=True)
        .exclude(review_state=ReviewState.APPROVED)
        .order_by("position", "due_on", "pk")
    )


def deal_closing_blockers(*, deal):
    """Why the deal cannot close yet: required milestones not approved nor waived."""
    blockers = []
    for milestone in deal_items_unapproved(deal=deal):
        state = ReviewState(milestone.review_state).label.lower()
        blockers.append(f"{milestone.title}: {state}; it must be approved or waived to close.")
    return blockers


def _transition_error(current, target):
    phrase = STAGE_PHRASES[current]
    target_label = DealStage(target).label.lower()
    allowed = [DealStage(stage).label.lower() for stage in STAGE_TRANSITIONS[current]]
    if not allowed:
        return f"A deal {phrase} is final: it cannot move to {target_label}."
    choices = allowed[0] if len(allowed) == 1 else f"{', '.join(allowed[:-1])} or {allowed[-1]}"
    return f"A deal {phrase} can move to {choices}, not {target_label}."


@transaction.atomic
def deal_stage_set(*, deal, stage, actor, reason="", sale_price=None, closed_on=None):
    """Move a deal along its stages; closing records the sale on the property and clients."""
    _require_change(deal, actor)
    if stage not in DealStage.values:
        raise ValidationError({"stage": f"Unknown stage {stage!r}."})
    current = DealStage(deal.stage)
    if stage == current:
        raise ValidationError(f"The deal is already {current.label.lower()}.")
    if stage not in STAGE_TRANSITIONS[current]:
        raise ValidationError(_transition_error(current, stage), code="illegal_transition")
    reason = (reason or "").strip()
    if stage == DealStage.FELL_THROUGH:
        if not reason:
            raise ValidationError({"reason": "Say why the deal fell through."})
        deal.fell_through_reason = reason
    if stage == DealStage.CLOSED:
        sale_price = sale_price if sale_price is not None else deal.sale_price
        if sale_price is None:
            raise ValidationError({"sale_price": "Give the final sale price to close the deal."})
        blockers = deal_closing_blockers(deal=deal)
        if blockers:
            raise ValidationError(blockers, code="closing_blocked")
        deal.sale_price = sale_price
        deal.closed_on = closed_on or timezone.localdate()
    old_stage = deal.stage
    deal.stage = stage
    deal.full_clean(exclude=["brokerage", "agent", "property", "created_by"])
    deal.save()
    _stage_events(deal, old_stage=old_stage, actor=actor)
    if stage == DealStage.CLOSED:
        _close_property(deal, actor)
        _close_clients(deal, actor)
    return deal


def deal_event_payload(deal, **changes):
    """What an event about a deal tells its readers: which deal, its side, stage and property."""
    return {
        "deal_id": deal.pk,
        "name": deal.name,
        "side": deal.side,
        "stage": deal.stage,
        "listing_id": deal.property_id,
        "agent_id": deal.agent_id,
        **changes,
    }


def _stage_events(deal, *, old_stage, actor):
    """``deal.stage_changed``, and ``deal.closed`` with the sale when it closed."""
    event_record(
        brokerage=deal.brokerage_id,
        name=EventName.DEAL_STAGE_CHANGED,
        subject=deal,
        payload=deal_event_payload(deal, old_stage=old_stage, new_stage=deal.stage),
        actor=actor,
    )
    if deal.stage == DealStage.CLOSED:
        event_record(
            brokerage=deal.brokerage_id,
            name=EventName.DEAL_CLOSED,
            subject=deal,
            payload=deal_event_payload(
                deal,
                sale_price=None if deal.sale_price is None else str(deal.sale_price),
                closed_on=deal.closed_on.isoformat(),
            ),
            actor=actor,
        )


def _close_property(deal, actor):
    """A local listing is marked sold; an MLS listing is left to the feed, and the deal says so."""
    from properties.choices import ListingSource, StandardStatus
    from properties.services import listing_update

    listing = deal.property
    if listing is None:
        return
    if listing.source == ListingSource.MLS:
        # The feed owns the status and close price of its listings: the next sync records them.
        note = (
            f"Closed on {deal.closed_on:%b %-d, %Y} at ${deal.sale_price:,.2f}. The listing "
            "comes from the MLS feed, which records the sale; it was not changed here."
        )
        deal.notes = f"{deal.notes}\n\n{note}".strip()
        deal.save(update_fields=["notes", "updated_at"])
        return
    listing_update(
        listing=listing,
        data={
            "standard_status": StandardStatus.CLOSED,
            "close_price": deal.sale_price,
            "close_date": deal.closed_on,
        },
        actor=actor,
    )


def _close_clients(deal, actor):
    from clients.choices import Stage
    from clients.services.people import client_update

    parties = deal.parties.filter(role__in=CLIENT_PARTY_ROLES, client__isnull=False)
    for party in parties.select_related("client"):
        if party.client.stage != Stage.CLOSED:
            client_update(client=party.client, data={"stage": Stage.CLOSED}, actor=actor)


# ---------- parties ----------


def _party_save(deal, data):
    _check_fields(data, PARTY_FIELDS)
    party = Party(transaction=deal)
    for field, value in data.items():
        setattr(party, field, value)
    errors = {}
    client = party.client
    if client is not None:
        if client.brokerage_id != deal.brokerage_id:
            errors["client"] = ["Choose a client of your brokerage."]
        else:
            party.name = party.name or client.name
            party.email = party.email or client.email
            party.phone = party.phone or client.phone[:20]
    try:
        party.full_clean(exclude=[*errors, "transaction", "client"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    party.save()
    return party


@transaction.atomic
def party_add(*, deal, data, actor):
    """Add someone to a deal: a client as buyer or seller, a lender, the title company ..."""
    _require_change(deal, actor)
    return _party_save(deal, dict(data))


@transaction.atomic
def party_remove(*, party, actor):
    """Take someone off a deal."""
    _require_change(party.transaction, actor)
    party.delete()


# ---------- milestones ----------


@transaction.atomic
def milestone_add(*, deal, data, actor):
    """An ad-hoc milestone of one deal, owned by the deal's agent unless another is named."""
    _require_change(deal, actor)
    _require_open(deal)
    data = dict(data)
    _check_fields(data, MILESTONE_FIELDS)
    owner = data.get("owner") or deal.agent
    if owner.brokerage_id != deal.brokerage_id:
        raise ValidationError({"owner": "Choose an agent of your brokerage."})
    data["owner"] = owner
    last = deal.milestones.aggregate(last=Max("position"))["last"]
    milestone = Milestone(transaction=deal, position=(last or 0) + 1)
    for field, value in data.items():
        setattr(milestone, field, value)
    milestone.full_clean(exclude=["transaction", "owner", "item"])
    milestone.save()
    return milestone


def _milestone_check(milestone, actor):
    _require_change(milestone.transaction, actor)
    _require_open(milestone.transaction)


@transaction.atomic
def milestone_complete(*, milestone, actor):
    """Mark a milestone done."""
    _milestone_check(milestone, actor)
    if not milestone.is_open:
        raise ValidationError(f"“{milestone.title}” is already done or waived.")
    milestone.done_at = timezone.now()
    milestone.save(update_fields=["done_at"])
    return milestone


@transaction.atomic
def milestone_waive(*, milestone, reason, actor):
    """Skip a milestone this deal does not need, saying why; a waived one does not block closing."""
    _milestone_check(milestone, actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why this milestone is waived."})
    if not milestone.is_open:
        raise ValidationError(f"“{milestone.title}” is already done or waived.")
    milestone.waived_at = timezone.now()
    milestone.waived_reason = reason[:300]
    milestone.save(update_fields=["waived_at", "waived_reason"])
    return milestone


@transaction.atomic
def milestone_reopen(*, milestone, actor):
    """Open a done or waived milestone again."""
    _milestone_check(milestone, actor)
    milestone.done_at = milestone.waived_at = None
    milestone.waived_reason = ""
    milestone.save(update_fields=["done_at", "waived_at", "waived_reason"])
    return milestone


# ---------- reminders ----------


def _not_reminded(today):
    return Q(reminded_on__isnull=True) | Q(reminded_on__lt=today)


def milestone_reminders_send(*, today=None):
    """Email each owner their open milestones overdue or due soon, once a day per milestone."""
    today = today or timezone.localdate()
    due = (
        Milestone.objects.filter(
            _not_reminded(today),
            done_at__isnull=True,
            waived_at__isnull=True,
            due_on__lte=today + timedelta(days=REMINDER_DAYS_AHEAD),
            owner__isnull=False,
            owner__is_active=True,
            transaction__stage__in=OPEN_DEAL_STAGES,
        )
        .exclude(owner__user__email="")
        .select_related("owner__user", "transaction")
        .order_by("owner", "due_on", "pk")
    )
    by_owner = {}
    for milestone in due:
        by_owner.setdefault(milestone.owner, []).append(milestone)
    sent = 0
    for owner, milestones in by_owner.items():
        claimed = []
        for milestone in milestones:
            # A conditional UPDATE claims the reminder: two runs never send it twice.
            won = Milestone.objects.filter(_not_reminded(today), pk=milestone.pk).update(
                reminded_on=today
            )
            if won:
                claimed.append(milestone)
        if not claimed:
            continue
        try:
            _reminder_email(owner, claimed, today).send()
        except Exception:
            # Give the claims back so that the retried task sends them.
            # Only "reminded today or not" matters, so an empty date gives them back.
            Milestone.objects.filter(pk__in=[m.pk for m in claimed]).update(reminded_on=None)
            raise
        sent += len(claimed)
    return sent


def _reminder_email(owner, milestones, today):
    for milestone in milestones:
        milestone.is_overdue = milestone.due_on < today
    context = {
        "owner": owner,
        "overdue": [m for m in milestones if m.is_overdue],
        "due_soon": [m for m in milestones if not m.is_overdue],
        "today": today,
    }
    count = len(milestones)
    message = EmailMultiAlternatives(
        subject=(
            "1 deal milestone needs attention"
            if count == 1
            else f"{count} deal milestones need attention"
        ),
        body=render_to_string("transactions/emails/milestone_reminder.txt", context),
        to=[owner.user.email],
    )
    message.attach_alternative(
        render_to_string("transactions/emails/milestone_reminder.html", context), "text/html"
    )
    return message
