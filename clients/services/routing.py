"""Lead routing: new leads go to agents by the broker's rules, or to the shared pond.

Every step (assigned, sent to the pond, claimed, returned, reassigned) is a RoutingDecision
with its reason and a line on the lead's timeline. A rule's round-robin turn is taken with a
conditional UPDATE of its counter, so two leads arriving at once never get the same turn, on
SQLite as on PostgreSQL (``select_for_update`` does nothing on SQLite).
"""

import re
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone

from clients.choices import ActivityKind, RoutingMethod, RoutingOutcome
from clients.models import Activity, BuyerPreference, Client, RoutingDecision, RoutingRule
from clients.services.people import activity_log
from compliance.services.licences import agents_with_lapsed_licence, licence_assert_active
from realestate.permissions import CHANGE, actor_for, restrict

# Each failed compare-and-set means another lead took a turn, so this bound is never reached
# in practice; it only turns a database gone wrong into an error instead of a spin.
MAX_TURN_ATTEMPTS = 100
REASON_LENGTH = RoutingDecision._meta.get_field("reason").max_length
ZIP_PLUS_FOUR = re.compile(r"^(\d{5})-\d{4}$")


def area_key(value):
    """A city or postal code as rules compare them: case and spacing ignored, ZIP+4 as ZIP."""
    value = " ".join(str(value or "").split()).casefold()
    match = ZIP_PLUS_FOUR.match(value)
    return match.group(1) if match else value


def person_name(user):
    return user.get_full_name() or user.get_username()


def _lead_areas(client):
    """The lead's own city and postal code, then those their buyer preference names."""
    areas = [client.city, client.postal_code]
    preference = BuyerPreference.objects.filter(client=client).first()
    if preference is not None:
        areas += [*preference.cities, *preference.postal_codes]
    return [area for area in areas if area_key(area)]


def _active_rules(brokerage_id):
    from agents.models import Agent

    agents = Agent.objects.select_related("user").order_by("pk")
    return (
        RoutingRule.objects.filter(brokerage_id=brokerage_id, is_active=True)
        .prefetch_related("sources", Prefetch("agents", queryset=agents))
        .order_by("position", "pk")
    )


def _source_matches(rule, client):
    source_ids = {source.pk for source in rule.sources.all()}
    return not source_ids or client.source_id in source_ids


def _matching_area(rule, lead_areas):
    """The first of the lead's areas that the rule takes, as the lead wrote it; or None."""
    rule_areas = {area_key(area) for area in rule.areas}
    return next((area for area in lead_areas if area_key(area) in rule_areas), None)


def _eligible_agents(rule, brokerage_id):
    """The rule's active agents of the brokerage, less those whose licence has lapsed."""
    agents = [
        agent
        for agent in rule.agents.all()
        if agent.is_active and agent.user.is_active and agent.brokerage_id == brokerage_id
    ]
    if not agents:
        return agents
    lapsed = agents_with_lapsed_licence(agent_ids=[agent.pk for agent in agents])
    return [agent for agent in agents if agent.pk not in lapsed]


def _rule_turn(rule):
    """Take the rule's next round-robin turn (0, 1, 2 ...): a compare-and-set on its counter."""
    rules = RoutingRule.objects.filter(pk=rule.pk)
    for _ in range(MAX_TURN_ATTEMPTS):
        count = rules.values_list("assigned_count", flat=True).get()
        if rules.filter(assigned_count=count).update(assigned_count=count + 1):
            rule.assigned_count = count + 1
            return count
    raise RuntimeError(f"Routing rule {rule.pk}: no round-robin turn after many attempts.")


def _decide(*, client, outcome, reason, rule_id=None, agent=None, actor=None, now):
    """Record one routing decision and put it on the lead's timeline."""
    decision = RoutingDecision.objects.create(
        client=client,
        rule_id=rule_id,
        agent=agent,
        outcome=outcome,
        reason=reason[:REASON_LENGTH],
        decided_at=now,
    )
    subjects = {
        RoutingOutcome.ASSIGNED: f"Routed to {agent.name}" if agent else "",
        RoutingOutcome.POND: "Sent to the shared pond",
        RoutingOutcome.RETURNED: "Returned to the shared pond",
        RoutingOutcome.CLAIMED: f"Claimed by {agent.name}" if agent else "",
        RoutingOutcome.REASSIGNED: f"Assigned to {agent.name}" if agent else "",
    }
    activity_log(
        client=client,
        kind=ActivityKind.SYSTEM,
        subject=subjects[outcome],
        body=reason,
        actor=actor,
        details={"routing_decision": decision.pk, "outcome": outcome},
        occurred_at=now,
    )
    return decision


def _set(client, **values):
    Client.objects.filter(pk=client.pk).update(**values)
    for field, value in values.items():
        setattr(client, field, value)


@transaction.atomic
def lead_route(*, client, now=None):
    """Give a new lead to an agent by the brokerage's first rule that takes it, else to the pond."""
    if client.assigned_agent_id and client.claimed_at:
        raise ValidationError("This lead is already an agent's client.")
    now = now or timezone.now()
    lead_areas = _lead_areas(client)
    without_agents = []
    for rule in _active_rules(client.brokerage_id):
        if not _source_matches(rule, client):
            continue
        area = None
        if rule.method == RoutingMethod.BY_AREA:
            area = _matching_area(rule, lead_areas)
            if area is None:
                continue
        agents = _eligible_agents(rule, client.brokerage_id)
        if not agents:
            without_agents.append(rule.name)
            continue
        turn = _rule_turn(rule)
        agent = agents[turn % len(agents)]
        whose_turn = f"{agent.name}'s turn (lead {turn + 1} of the rule)"
        if area is None:
            reason = f"Round robin in rule '{rule.name}': {whose_turn}"
        else:
            reason = f"By area in rule '{rule.name}': {area} is one of its areas; {whose_turn}"
        _set(client, assigned_agent=agent, assigned_at=now, claimed_at=None, in_pond=False)
        return _decide(
            client=client,
            outcome=RoutingOutcome.ASSIGNED,
            reason=reason,
            rule_id=rule.pk,
            agent=agent,
            now=now,
        )
    if without_agents:
        names = ", ".join(f"'{name}'" for name in without_agents)
        reason = f"Rules {names} take this lead but have no active agent: sent to the shared pond"
    else:
        reason = "No active routing rule takes this lead: sent to the shared pond"
    _set(client, assigned_agent=None, assigned_at=None, claimed_at=None, in_pond=True)
    return _decide(client=client, outcome=RoutingOutcome.POND, reason=reason, now=now)


@transaction.atomic
def lead_claim(*, client, actor, now=None):
    """An agent takes a lead from the shared pond, or accepts one routed to them.

    Two agents claiming the same pond lead at once: the conditional UPDATE lets one win and
    the other is told the lead is gone. Claiming a lead one already holds changes nothing.
    """
    who = actor_for(actor)
    if who.agent is None or client.brokerage_id != who.brokerage_id:
        raise PermissionDenied("You cannot claim leads of this brokerage.")
    if not who.can_write:
        raise PermissionDenied("Your role cannot claim leads.")
    agent, now = who.agent, now or timezone.now()
    licence_assert_active(agent=agent)
    leads = Client.objects.filter(pk=client.pk)
    if leads.filter(in_pond=True).update(
        in_pond=False, assigned_agent=agent, assigned_at=now, claimed_at=now
    ):
        reason = f"{agent.name} claimed the lead from the shared pond"
    elif leads.filter(in_pond=False, assigned_agent=agent, claimed_at__isnull=True).update(
        claimed_at=now
    ):
        reason = f"{agent.name} claimed the lead routed to them"
    else:
        client.refresh_from_db(fields=["in_pond", "assigned_agent", "assigned_at", "claimed_at"])
        if client.assigned_agent_id == agent.pk:
            return None
        raise ValidationError("This lead is no longer in the pond: another agent has it.")
    client.refresh_from_db(fields=["in_pond", "assigned_agent", "assigned_at", "claimed_at"])
    return _decide(
        client=client,
        outcome=RoutingOutcome.CLAIMED,
        reason=reason,
        agent=agent,
        actor=actor,
        now=now,
    )


def _unclaimed_routed_leads():
    """Leads assigned by a rule and not claimed, with the rule's timeout, oldest first."""
    latest = RoutingDecision.objects.filter(client=OuterRef("pk")).order_by("-decided_at", "-pk")
    return (
        Client.objects.filter(
            in_pond=False,
            claimed_at__isnull=True,
            assigned_agent__isnull=False,
            assigned_at__isnull=False,
        )
        .annotate(
            last_outcome=Subquery(latest.values("outcome")[:1]),
            rule_id=Subquery(latest.values("rule")[:1]),
            rule_name=Subquery(latest.values("rule__name")[:1]),
            timeout=Subquery(latest.values("rule__claim_timeout_minutes")[:1]),
        )
        .filter(last_outcome=RoutingOutcome.ASSIGNED, timeout__isnull=False)
        .select_related("assigned_agent__user")
        .order_by("assigned_at", "pk")
    )


def leads_return_to_pond(*, now=None):
    """Leads not claimed within their rule's timeout go to the shared pond; returns how many.

    Safe to run twice or side by side: a lead moves only if it is still assigned, unclaimed
    and with the same assignment as when it was read (a conditional UPDATE), so a claim made
    meanwhile wins and a second run finds nothing left to do.
    """
    now = now or timezone.now()
    returned = 0
    for lead in _unclaimed_routed_leads():
        if lead.assigned_at + timedelta(minutes=lead.timeout) > now:
            continue
        agent = lead.assigned_agent
        with transaction.atomic():
            moved = Client.objects.filter(
                pk=lead.pk,
                in_pond=False,
                claimed_at__isnull=True,
                assigned_agent=agent,
                assigned_at=lead.assigned_at,
            ).update(in_pond=True, assigned_agent=None, assigned_at=None)
            if not moved:
                continue
            lead.in_pond, lead.assigned_agent, lead.assigned_at = True, None, None
            _decide(
                client=lead,
                outcome=RoutingOutcome.RETURNED,
                reason=(
                    f"Not claimed by {agent.name} within {lead.timeout} minutes "
                    f"(rule '{lead.rule_name}'): returned to the shared pond"
                ),
                rule_id=lead.rule_id,
                agent=agent,
                now=now,
            )
        returned += 1
    return returned


def _broker_changeable(*, clients, actor):
    """The clients, checked: the actor is a broker who may change every one of them."""
    who = actor_for(actor)
    if not who.is_broker:
        raise PermissionDenied("Only a broker can hand out clients.")
    clients = list(clients)
    pks = [client.pk for client in clients]
    allowed = set(
        restrict(Client.objects.filter(pk__in=pks), actor, CHANGE).values_list("pk", flat=True)
    )
    if allowed != set(pks):
        raise PermissionDenied("You cannot change some of these clients.")
    return clients


def _bulk_decide(*, decisions, actor, now):
    """Record many decisions and their timeline lines in two queries."""
    created = RoutingDecision.objects.bulk_create(decisions)
    Activity.objects.bulk_create(
        Activity(
            client=decision.client,
            kind=ActivityKind.SYSTEM,
            subject=decision.subject,
            body=decision.reason,
            actor=actor,
            occurred_at=now,
            details={"outcome": decision.outcome},
        )
        for decision in created
    )
    return created


@transaction.atomic
def clients_reassign(*, clients, agent, actor, now=None):
    """A broker hands clients to another agent of the brokerage; returns how many moved."""
    clients = _broker_changeable(clients=clients, actor=actor)
    if not agent.is_active or any(c.brokerage_id != agent.brokerage_id for c in clients):
        raise ValidationError({"agent": "Choose an active agent of the clients' brokerage."})
    licence_assert_active(agent=agent)
    now = now or timezone.now()
    current = Client.objects.filter(pk__in=[c.pk for c in clients]).select_related(
        "assigned_agent__user"
    )
    moving = [c for c in current if c.in_pond or c.assigned_agent_id != agent.pk]
    Client.objects.filter(pk__in=[c.pk for c in moving]).update(
        assigned_agent=agent, assigned_at=now, claimed_at=now, in_pond=False
    )
    decisions = []
    for client in moving:
        if client.in_pond:
            was = "the shared pond"
        else:
            was = client.assigned_agent.name if client.assigned_agent else "nobody"
        decision = RoutingDecision(
            client=client,
            agent=agent,
            outcome=RoutingOutcome.REASSIGNED,
            reason=f"Reassigned from {was} to {agent.name} by {person_name(actor)}",
            decided_at=now,
        )
        decision.subject = f"Assigned to {agent.name}"
        decisions.append(decision)
        client.assigned_agent, client.assigned_at, client.claimed_at = agent, now, now
        client.in_pond = False
    _bulk_decide(decisions=decisions, actor=actor, now=now)
    return len(moving)


@transaction.atomic
def clients_return_to_pond(*, clients, actor, now=None):
    """A broker puts clients back in the shared pond for any agent to claim; returns how many."""
    clients = _broker_changeable(clients=clients, actor=actor)
    now = now or timezone.now()
    moving = [client for client in clients if not client.in_pond]
    Client.objects.filter(pk__in=[c.pk for c in moving]).update(
        in_pond=True, assigned_agent=None, assigned_at=None, claimed_at=None
    )
    decisions = []
    for client in moving:
        decision = RoutingDecision(
            client=client,
            agent=None,
            outcome=RoutingOutcome.RETURNED,
            reason=f"Returned to the shared pond by {person_name(actor)}",
            decided_at=now,
        )
        decision.subject = "Returned to the shared pond"
        decisions.append(decision)
        client.in_pond, client.assigned_agent = True, None
        client.assigned_at = client.claimed_at = None
    _bulk_decide(decisions=decisions, actor=actor, now=now)
    return len(moving)
