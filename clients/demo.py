"""Demo clients, leads, timelines and tasks for the demo brokerages (see ``agents.demo``).

Written through the client services, like everything in the demo, so permissions, the lead
score and the audit trail are what real use gives. Names and choices come from a generator
seeded from ``seed``; dates are relative to now, so that the agent's day always has something
overdue, something due today and showings this week.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from random import Random

from auditlog.context import set_actor
from django.utils import timezone

from agents.models import Agent
from clients.choices import (
    ActivityKind,
    AlertFrequency,
    PreApproval,
    Priority,
    RoutingMethod,
    Stage,
    Timeline,
)
from clients.models import LeadSource, RoutingRule
from clients.services.alerts import saved_search_create
from clients.services.campaigns import campaign_create, campaign_step_add
from clients.services.intake import intake_key_create, lead_intake
from clients.services.outreach import segment_create, template_create
from clients.services.people import (
    activity_log,
    buyer_preference_save,
    client_create,
    client_update,
    task_create,
)
from clients.services.showings import showing_confirm, showing_create
from properties.choices import StandardStatus
from properties.models import Property

LEAD_SOURCES = ("Website", "Zillow", "Open house", "Referral", "Past client", "Sign call")
FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "James", "Isabella", "Lucas",
    "Mia", "Mateo", "Amelia", "Ethan", "Harper", "Aiden", "Priya", "Wei", "Fatima", "Diego",
)  # fmt: skip
LAST_NAMES = (
    "Nguyen", "Garcia", "Smith", "Patel", "Johnson", "Kim", "Brown", "Rossi", "Murphy", "Chen",
    "Okafor", "Silva", "Cohen", "Walsh", "Haddad", "Moreau", "Novak", "Ibrahim", "Lopez", "Park",
)  # fmt: skip
CALL_NOTES = (
    ("Intro call", "Relocating for a new job in January; wants a short commute."),
    ("Follow-up call", "Talked through the offer process and earnest money."),
    ("Left a voicemail", "Will try again tomorrow evening."),
    ("Lender intro", "Connected them with two lenders for pre-approval."),
)
EMAIL_NOTES = (
    ("Sent three new listings", "They liked the second one; asked about the HOA."),
    ("Sent the market report", "Prices in their area are up 4% on last year."),
)
TASKS = (
    ("Call back about the inspection report", Priority.HIGH),
    ("Send comparable sales", Priority.NORMAL),
    ("Check pre-approval letter", Priority.NORMAL),
    ("Book a second showing", Priority.HIGH),
    ("Ask for a referral", Priority.LOW),
    ("Send a home-anniversary card", Priority.LOW),
)
STAGES = (
    (Stage.NEW, 3),
    (Stage.CONTACTED, 3),
    (Stage.QUALIFIED, 2),
    (Stage.ACTIVE, 3),
    (Stage.UNDER_CONTRACT, 1),
    (Stage.CLOSED, 1),
    (Stage.LOST, 1),
)


WEB_LEADS = (
    ("Grace", "Holloway", "Website", "Is the house on Elm still available? We'd love a tour."),
    ("Marcus", "Bell", "Website", "Looking for a 3-bed near the schools, pre-approved."),
    ("Yuki", "Tanaka", "Website", "Can we see it this weekend?"),
    ("Rafael", "Ortiz", "Zillow", "Saw the listing on Zillow, what are the taxes?"),
)
# Showings on each agent's calendar: (days from today, hour, confirmed).
SHOWING_SLOTS = ((0, 16, True), (1, 10, True), (2, 14, False), (4, 11, False))


@dataclass
class DemoClients:
    clients: int = 0
    activities: int = 0
    tasks: int = 0
    searches: int = 0
    showings: int = 0
    leads: int = 0
    campaigns: int = 0


def demo_clients_load(*, brokerage_specs, seed, per_agent=8):
    """Lead sources, clients with preferences and timelines, and tasks for every demo agent;
    message templates and a draft campaign for each brokerage's first agent."""
    result = DemoClients()
    rng = Random(seed * 7919)
    now = timezone.now()
    weights = [stage for stage, weight in STAGES for _ in range(weight)]
    for spec in brokerage_specs:
        agents = list(
            Agent.objects.filter(brokerage__slug=spec.slug, user__groups__name__in=["Agent"])
            .select_related("user", "brokerage")
            .order_by("user__username")
        )
        if not agents:
            continue
        brokerage = agents[0].brokerage
        sources = [
            LeadSource.objects.create(brokerage=brokerage, name=name) for name in LEAD_SOURCES
        ]
        for agent in agents:
            with set_actor(agent.user):
                buyers = [
                    _demo_client(agent, spec, sources, weights, rng, now, result)
                    for _ in range(per_agent)
                ]
                _demo_showings(agent, buyers, now, result)
        _demo_web_leads(brokerage, agents, sources, now, result)
        with set_actor(agents[0].user):
            _demo_outreach(agents[0], result)
    return result


DEMO_TEMPLATES = (
    {
        "name": "Just listed near you",
        "channel": "email",
        "subject": "Just listed: {{ listing.address }}",
        "body": (
            "Hi {{ client.first_name|there }},\n\n"
            "A home you may like has just come on the market: {{ listing.address }}, "
            "{{ listing.beds }} bedrooms at {{ listing.price }}.\n\n"
            "Reply to this email and I will set up a showing.\n\n"
            "{{ agent.name }}\n{{ agent.phone }}"
        ),
    },
    {
        "name": "Friendly check-in",
        "channel": "text",
        "subject": "",
        "body": (
            "Hi {{ client.first_name|there }}, it's {{ agent.first_name }}. Anything new in "
            "your home search? I'm happy to send a few homes this week."
        ),
    },
)


def _demo_outreach(agent, result):
    """Two templates, a segment of active buyers and a draft drip campaign for one agent."""
    user = agent.user
    templates = [template_create(data=data, actor=user) for data in DEMO_TEMPLATES]
    segment = segment_create(name="My active buyers", query="stage=active&mine=true", actor=user)
    campaign = campaign_create(
        data={"name": "Spring buyers follow-up", "segment": segment, "kind": "drip"}, actor=user
    )
    for template, delay_hours in zip(templates, (0, 72), strict=True):
        campaign_step_add(campaign=campaign, template=template, delay_hours=delay_hours, actor=user)
    result.campaigns += 1


def _demo_web_leads(brokerage, agents, sources, now, result):
    """Website leads shared out round robin; a lead from a source no rule takes goes to the pond."""
    rule = RoutingRule.objects.create(
        brokerage=brokerage,
        name="Website leads",
        method=RoutingMethod.ROUND_ROBIN,
        claim_timeout_minutes=120,
    )
    rule.agents.set(agents)
    rule.sources.set([source for source in sources if source.name == "Website"])
    intake_key, _ = intake_key_create(brokerage=brokerage, name="Brokerage website")
    for first, last, source, message in WEB_LEADS:
        lead_intake(
            brokerage=brokerage,
            data={
                "first_name": first,
                "last_name": last,
                "email": f"{first}.{last}@example.com".lower(),
                "message": message,
                "source": source,
            },
            intake_key=intake_key,
            now=now,
        )
        result.leads += 1


def _demo_showings(agent, clients, now, result):
    """This week's showings of the agent's buyers, on the brokerage's current listings."""
    buyers = [client for client in clients if "buyer" in client.roles]
    listings = list(
        Property.objects.filter(
            brokerage_id=agent.brokerage_id,
            standard_status=StandardStatus.ACTIVE,
            archived_at__isnull=True,
        ).order_by("pk")[agent.pk % 7 :][: len(SHOWING_SLOTS)]
    )
    today = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
    for (days, hour, confirmed), listing, buyer in zip(
        SHOWING_SLOTS, listings, buyers, strict=False
    ):
        starts = today.replace(hour=hour) + timedelta(days=days)
        showing = showing_create(
            data={
                "listing": listing,
                "client": buyer,
                "starts_at": starts,
                "ends_at": starts + timedelta(minutes=45),
            },
            actor=agent.user,
        )
        if confirmed:
            showing_confirm(showing=showing, actor=agent.user)
        result.showings += 1


def _demo_client(agent, spec, sources, stages, rng, now, result):
    user = agent.user
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    town = rng.choice(spec.towns)
    is_buyer = rng.random() < 0.7
    roles = ["buyer"] if is_buyer else ["seller"]
    if rng.random() < 0.2:
        roles.append("lead")
    client = client_create(
        data={
            "first_name": first,
            "last_name": last,
            "email": f"{first}.{last}{rng.randint(1, 99)}@example.com".lower(),
            "phone": f"+1{spec.area_code}555{rng.randint(100, 199):04d}",
            "city": town.city,
            "state_or_province": town.state,
            "postal_code": rng.choice(town.postal_codes),
            "roles": roles,
            "source": rng.choice(sources),
            "preferred_contact_method": rng.choice(["email", "phone", "text"]),
            "do_not_text": rng.random() < 0.15,
        },
        actor=user,
        tags=rng.sample(["first-time buyer", "investor", "relocating", "downsizing"], k=1),
    )
    result.clients += 1
    if is_buyer:
        low = Decimal(town.price_per_sqft * rng.choice((900, 1200, 1500)))
        buyer_preference_save(
            client=client,
            data={
                "property_types": ["Residential"],
                "min_price": low.quantize(Decimal("1000")),
                "max_price": (low * Decimal("1.35")).quantize(Decimal("1000")),
                "min_beds": rng.choice((2, 3, 3, 4)),
                "min_baths": rng.choice((1, 2)),
                "cities": [town.city],
                "timeline": rng.choice(Timeline.values),
                "preapproval_status": rng.choice(PreApproval.values),
                "motivation": rng.choice(
                    ("Growing family", "New job in town", "Downsizing", "First home")
                ),
            },
            actor=user,
        )
    for days_ago in sorted(rng.sample(range(1, 30), k=rng.randint(0, 3)), reverse=True):
        kind, notes = rng.choice(
            ((ActivityKind.CALL, CALL_NOTES), (ActivityKind.EMAIL, EMAIL_NOTES))
        )
        subject, body = rng.choice(notes)
        activity_log(
            client=client,
            kind=kind,
            subject=subject,
            body=body,
            actor=user,
            occurred_at=now - timedelta(days=days_ago, hours=rng.randint(0, 8)),
        )
        result.activities += 1
    stage = rng.choice(stages)
    if stage != client.stage:
        client_update(client=client, data={"stage": stage}, actor=user)
    if is_buyer and rng.random() < 0.5:
        preference = client.preference
        saved_search_create(
            client=client,
            criteria={
                "city": town.city,
                "min_beds": str(preference.min_beds),
                "max_price": str(preference.max_price),
            },
            name=f"{town.city}, {preference.min_beds}+ beds",
            frequency=rng.choice((AlertFrequency.INSTANT, AlertFrequency.DAILY)),
            actor=user,
        )
        result.searches += 1
    if rng.random() < 0.6:
        title, priority = rng.choice(TASKS)
        task_create(
            data={
                "title": f"{title}: {client.name}",
                "due_date": (now + timedelta(days=rng.randint(-3, 7))).date(),
                "priority": priority,
                "client": client,
            },
            actor=user,
        )
        result.tasks += 1
    return client
