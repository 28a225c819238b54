"""Lead routing: rules in order, fair round robin, areas, the pond, claims and reassignment."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, QuerySet
from django.utils import timezone

from clients.choices import ActivityKind, RoutingMethod, RoutingOutcome
from clients.models import Client, LeadSource, RoutingDecision, RoutingRule
from clients.services.people import activity_log, buyer_preference_save
from clients.services.routing import (
    _rule_turn,
    clients_reassign,
    clients_return_to_pond,
    lead_claim,
    lead_route,
    leads_return_to_pond,
)
from clients.tasks import leads_return_to_pond_task
from tests.testing.factories import make_client

pytestmark = pytest.mark.django_db


def make_rule(brokerage, name="Website leads", agents=(), **fields):
    fields.setdefault("method", RoutingMethod.ROUND_ROBIN)
    sources = fields.pop("sources", ())
    rule = RoutingRule.objects.create(brokerage=brokerage, name=name, **fields)
    rule.agents.set(agents)
    rule.sources.set(sources)
    return rule


def make_lead(brokerage, **fields):
    """A new lead as the intake makes it: nobody's yet."""
    fields.setdefault("first_name", "Lead")
    fields.setdefault("email", f"lead{Client.objects.count() + 1}@example.com")
    return Client.objects.create(brokerage=brokerage, roles=["lead"], **fields)


def test_round_robin_gives_each_agent_the_same_share(personas):
    agents = [personas.agent, personas.colleague, personas.broker]
    make_rule(personas.brokerage, agents=agents)

    decisions = [lead_route(client=make_lead(personas.brokerage)) for _ in range(9)]

    assert Counter(d.agent for d in decisions) == dict.fromkeys(agents, 3)
    assert [d.agent for d in decisions[:3]] == sorted(agents, key=lambda agent: agent.pk)
    assert all(d.outcome == RoutingOutcome.ASSIGNED for d in decisions)


def test_the_decision_says_whose_turn_it_was(personas):
    make_rule(personas.brokerage, agents=[personas.agent, personas.colleague])
    for _ in range(6):
        lead_route(client=make_lead(personas.brokerage))
    lead = make_lead(personas.brokerage)

    decision = lead_route(client=lead)

    first = min(personas.agent, personas.colleague, key=lambda agent: agent.pk)
    assert decision.reason == (
        f"Round robin in rule 'Website leads': {first.name}'s turn (lead 7 of the rule)"
    )
    lead.refresh_from_db()
    assert (lead.assigned_agent, lead.in_pond, lead.claimed_at) == (first, False, None)
    timeline = lead.activities.get()
    assert (timeline.kind, timeline.subject) == (ActivityKind.SYSTEM, f"Routed to {first.name}")
    assert timeline.body == decision.reason


def test_an_inactive_agent_is_skipped(personas):
    personas.colleague.is_active = False
    personas.colleague.save()
    make_rule(personas.brokerage, agents=[personas.agent, personas.colleague])

    decisions = [lead_route(client=make_lead(personas.brokerage)) for _ in range(4)]

    assert {d.agent for d in decisions} == {personas.agent}


def test_a_rule_whose_agents_are_all_inactive_sends_the_lead_to_the_pond(personas):
    personas.colleague.is_active = False
    personas.colleague.save()
    make_rule(personas.brokerage, name="Nights", agents=[personas.colleague])
    lead = make_lead(personas.brokerage)

    decision = lead_route(client=lead)

    assert decision.outcome == RoutingOutcome.POND
    assert "'Nights'" in decision.reason and "no active agent" in decision.reason
    lead.refresh_from_db()
    assert lead.in_pond and lead.assigned_agent is None


def test_without_a_rule_the_lead_goes_to_the_pond(personas):
    make_rule(personas.other_brokerage, agents=[personas.stranger])
    make_rule(personas.brokerage, agents=[personas.agent], is_active=False)
    lead = make_lead(personas.brokerage)

    decision = lead_route(client=lead)

    assert decision.outcome == RoutingOutcome.POND
    assert decision.reason == "No active routing rule takes this lead: sent to the shared pond"
    lead.refresh_from_db()
    assert lead.in_pond
    assert lead.activities.get().subject == "Sent to the shared pond"


def test_a_rule_by_area_takes_the_leads_of_its_area_first(personas):
    make_rule(
        personas.brokerage,
        name="Downtown",
        method=RoutingMethod.BY_AREA,
        areas=["62701", "Chatham"],
        agents=[personas.colleague],
        position=0,
    )
    make_rule(personas.brokerage, name="Everyone else", agents=[personas.agent], position=1)

    in_area = lead_route(client=make_lead(personas.brokerage, postal_code="62701-1234"))
    by_city = lead_route(client=make_lead(personas.brokerage, city="  CHATHAM "))
    elsewhere = lead_route(client=make_lead(personas.brokerage, city="Peoria"))

    assert (in_area.agent, by_city.agent, elsewhere.agent) == (
        personas.colleague,
        personas.colleague,
        personas.agent,
    )
    assert in_area.reason.startswith("By area in rule 'Downtown': 62701-1234 is one of its areas")
    assert elsewhere.rule.name == "Everyone else"


def test_a_rule_by_area_matches_the_cities_a_buyer_wants(personas):
    make_rule(
        personas.brokerage,
        method=RoutingMethod.BY_AREA,
        areas=["Rochester"],
        agents=[personas.colleague],
    )
    lead = make_lead(personas.brokerage, city="Peoria")
    buyer_preference_save(client=lead, data={"cities": ["Rochester"]}, actor=personas.broker.user)

    assert lead_route(client=lead).agent == personas.colleague


def test_a_rule_with_sources_takes_only_leads_from_them(personas):
    zillow = LeadSource.objects.create(brokerage=personas.brokerage, name="Zillow")
    website = LeadSource.objects.create(brokerage=personas.brokerage, name="Website")
    make_rule(personas.brokerage, name="Zillow", agents=[personas.colleague], sources=[zillow])
    make_rule(personas.brokerage, name="Rest", agents=[personas.agent], position=5)

    from_zillow = lead_route(client=make_lead(personas.brokerage, source=zillow))
    from_website = lead_route(client=make_lead(personas.brokerage, source=website))

    assert (from_zillow.agent, from_website.agent) == (personas.colleague, personas.agent)


def test_two_leads_at_once_never_get_the_same_turn(personas, monkeypatch):
    rule = make_rule(personas.brokerage, agents=[personas.agent, personas.colleague])
    stale = RoutingRule.objects.get(pk=rule.pk)  # another request read the rule too
    update = QuerySet.update
    raced = []

    def update_after_a_rival(queryset, **values):
        # A rival request takes turn 0 between this request's read and its write.
        if queryset.model is RoutingRule and not raced:
            raced.append(True)
            update(RoutingRule.objects.filter(pk=rule.pk), assigned_count=F("assigned_count") + 1)
        return update(queryset, **values)

    monkeypatch.setattr(QuerySet, "update", update_after_a_rival)

    assert _rule_turn(stale) == 1
    assert RoutingRule.objects.get(pk=rule.pk).assigned_count == 2


def test_a_claimed_client_is_not_routed_again(personas):
    make_rule(personas.brokerage, agents=[personas.colleague])
    client = make_client(personas.agent.user)
    with pytest.raises(ValidationError):
        lead_route(client=client)


# ---------- the pond timeout ----------


def test_unclaimed_leads_return_to_the_pond_after_the_timeout_once(personas):
    make_rule(personas.brokerage, agents=[personas.colleague], claim_timeout_minutes=60)
    now = timezone.now()
    late = make_lead(personas.brokerage)
    lead_route(client=late, now=now - timedelta(minutes=61))
    recent = make_lead(personas.brokerage)
    lead_route(client=recent, now=now - timedelta(minutes=30))

    assert leads_return_to_pond(now=now) == 1
    assert leads_return_to_pond(now=now) == 0

    late.refresh_from_db()
    assert late.in_pond and late.assigned_agent is None
    returned = late.routing_decisions.filter(outcome=RoutingOutcome.RETURNED).get()
    assert returned.reason == (
        f"Not claimed by {personas.colleague.name} within 60 minutes (rule 'Website leads'): "
        "returned to the shared pond"
    )
    assert returned.agent == personas.colleague
    recent.refresh_from_db()
    assert recent.assigned_agent == personas.colleague and not recent.in_pond


def test_a_lead_the_agent_called_is_claimed_and_stays(personas):
    make_rule(personas.brokerage, agents=[personas.colleague], claim_timeout_minutes=5)
    lead = make_lead(personas.brokerage)
    lead_route(client=lead, now=timezone.now() - timedelta(hours=1))
    activity_log(
        client=lead, kind=ActivityKind.CALL, subject="Intro", actor=personas.colleague.user
    )

    assert leads_return_to_pond() == 0
    lead.refresh_from_db()
    assert lead.claimed_at is not None and lead.assigned_agent == personas.colleague


def test_the_periodic_task_returns_unclaimed_leads(personas):
    make_rule(personas.brokerage, agents=[personas.colleague], claim_timeout_minutes=1)
    lead = make_lead(personas.brokerage)
    lead_route(client=lead, now=timezone.now() - timedelta(minutes=2))

    assert leads_return_to_pond_task.delay().get() == 1
    lead.refresh_from_db()
    assert lead.in_pond


# ---------- claiming ----------


@pytest.fixture
def pond_lead(personas):
    lead = make_lead(personas.brokerage, first_name="Pat")
    lead_route(client=lead)
    return lead


def test_an_agent_claims_a_pond_lead(personas, pond_lead):
    decision = lead_claim(client=pond_lead, actor=personas.colleague.user)

    pond_lead.refresh_from_db()
    assert pond_lead.assigned_agent == personas.colleague
    assert not pond_lead.in_pond and pond_lead.claimed_at is not None
    assert decision.outcome == RoutingOutcome.CLAIMED
    assert decision.reason == f"{personas.colleague.name} claimed the lead from the shared pond"
    assert pond_lead.activities.first().subject == f"Claimed by {personas.colleague.name}"


def test_the_second_agent_to_claim_is_told_the_lead_is_gone(personas, pond_lead):
    stale = Client.objects.get(pk=pond_lead.pk)
    lead_claim(client=pond_lead, actor=personas.colleague.user)

    with pytest.raises(ValidationError):
        lead_claim(client=stale, actor=personas.agent.user)
    stale.refresh_from_db()
    assert stale.assigned_agent == personas.colleague


def test_claiming_a_lead_one_holds_changes_nothing(personas, pond_lead):
    lead_claim(client=pond_lead, actor=personas.colleague.user)
    assert lead_claim(client=pond_lead, actor=personas.colleague.user) is None
    assert pond_lead.routing_decisions.filter(outcome=RoutingOutcome.CLAIMED).count() == 1


def test_an_agent_accepts_a_lead_routed_to_them(personas):
    make_rule(personas.brokerage, agents=[personas.colleague])
    lead = make_lead(personas.brokerage)
    lead_route(client=lead)

    decision = lead_claim(client=lead, actor=personas.colleague.user)

    assert decision.reason == f"{personas.colleague.name} claimed the lead routed to them"
    lead.refresh_from_db()
    assert lead.claimed_at is not None
    with pytest.raises(ValidationError):
        lead_claim(client=lead, actor=personas.agent.user)


@pytest.mark.parametrize("persona", ["viewer", "stranger"])
def test_viewers_and_other_brokerages_cannot_claim(personas, pond_lead, persona):
    with pytest.raises(PermissionDenied):
        lead_claim(client=pond_lead, actor=personas.user(persona))
    pond_lead.refresh_from_db()
    assert pond_lead.in_pond and pond_lead.assigned_agent is None


# ---------- reassignment by the broker ----------


def test_a_broker_reassigns_clients_and_each_decision_says_so(personas, pond_lead):
    mine = make_client(personas.agent.user)

    moved = clients_reassign(
        clients=[mine, pond_lead], agent=personas.colleague, actor=personas.broker.user
    )

    assert moved == 2
    mine.refresh_from_db()
    pond_lead.refresh_from_db()
    assert mine.assigned_agent == pond_lead.assigned_agent == personas.colleague
    assert not pond_lead.in_pond and pond_lead.claimed_at is not None
    broker = personas.broker.user.get_full_name()
    reasons = set(
        RoutingDecision.objects.filter(outcome=RoutingOutcome.REASSIGNED).values_list(
            "reason", flat=True
        )
    )
    assert reasons == {
        f"Reassigned from {personas.agent.name} to {personas.colleague.name} by {broker}",
        f"Reassigned from the shared pond to {personas.colleague.name} by {broker}",
    }
    assert mine.activities.first().subject == f"Assigned to {personas.colleague.name}"


def test_only_a_broker_reassigns(personas):
    mine = make_client(personas.agent.user)
    with pytest.raises(PermissionDenied):
        clients_reassign(clients=[mine], agent=personas.colleague, actor=personas.agent.user)


def test_clients_cannot_be_handed_to_another_brokerages_agent(personas):
    mine = make_client(personas.agent.user)
    with pytest.raises(ValidationError):
        clients_reassign(clients=[mine], agent=personas.stranger, actor=personas.broker.user)
    mine.refresh_from_db()
    assert mine.assigned_agent == personas.agent


def test_a_broker_cannot_reassign_another_brokerages_clients(personas):
    theirs = make_client(personas.stranger.user)
    with pytest.raises(PermissionDenied):
        clients_reassign(clients=[theirs], agent=personas.agent, actor=personas.broker.user)


def test_a_broker_returns_clients_to_the_pond(personas):
    mine = make_client(personas.agent.user)

    assert clients_return_to_pond(clients=[mine], actor=personas.broker.user) == 1
    mine.refresh_from_db()
    assert mine.in_pond and mine.assigned_agent is None and mine.claimed_at is None
    assert mine.routing_decisions.get().outcome == RoutingOutcome.RETURNED
    with pytest.raises(PermissionDenied):
        clients_return_to_pond(clients=[mine], actor=personas.agent.user)
