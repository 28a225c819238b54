from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from agents.choices import Role
from agents.models import Agent, Brokerage, Office, Team

# What a broker may do in the back office, per model. Listing history is never deleted (listings
# are archived instead), and the audit log is reviewed elsewhere, scoped to the brokerage.
BROKER_ADMIN_PERMISSIONS = {
    ("agents", "brokerage"): ("view", "change"),
    ("agents", "office"): ("view", "add", "change", "delete"),
    ("agents", "team"): ("view", "add", "change", "delete"),
    ("agents", "agent"): ("view", "add", "change", "delete"),
    ("agents", "notification"): ("view",),
    ("agents", "webhooksubscription"): ("view", "add", "change", "delete"),
    ("agents", "webhookdelivery"): ("view",),
    ("agents", "webhookattempt"): ("view",),
    ("agents", "incomingwebhook"): ("view", "add", "change"),
    ("agents", "incomingwebhooklog"): ("view",),
    ("agents", "event"): ("view",),
    ("properties", "property"): ("view", "add", "change"),
    ("properties", "propertymedia"): ("view", "change", "delete"),
    ("properties", "pricechange"): ("view",),
    ("properties", "statuschange"): ("view",),
    ("properties", "cma"): ("view",),
    ("mls", "mlsprovider"): ("view", "add", "change", "delete"),
    ("mls", "syncrun"): ("view",),
    ("mls", "syncerror"): ("view",),
    ("clients", "client"): ("view", "change"),
    ("clients", "leadsource"): ("view", "add", "change", "delete"),
    ("clients", "tag"): ("view", "add", "change", "delete"),
    ("clients", "routingrule"): ("view", "add", "change", "delete"),
    ("clients", "routingdecision"): ("view",),
    ("clients", "intakekey"): ("view", "add", "change"),
    ("clients", "activity"): ("view",),
    ("clients", "task"): ("view",),
    ("clients", "savedsearch"): ("view",),
    ("clients", "showing"): ("view",),
    ("clients", "messagetemplate"): ("view",),
    ("clients", "clientsegment"): ("view",),
    ("clients", "campaign"): ("view",),
    ("clients", "campaignstep"): ("view",),
    ("clients", "outreachattempt"): ("view",),
    ("clients", "suppression"): ("view", "add", "delete"),
    ("clients", "outreachsettings"): ("view", "add", "change"),
    ("transactions", "transaction"): ("view",),
    ("transactions", "checklisttemplate"): ("view", "add", "change", "delete"),
    ("transactions", "checklistitem"): ("view", "add", "change", "delete"),
    ("transactions", "document"): ("view", "change"),
    ("transactions", "commissionplan"): ("view", "add", "change"),
    ("transactions", "planassignment"): ("view", "add", "change", "delete"),
    ("transactions", "commissionstatement"): ("view",),
    ("compliance", "licence"): ("view", "add", "change", "delete"),
    ("compliance", "mlsdisplayrule"): ("view", "add", "change", "delete"),
    ("compliance", "listingaccess"): ("view",),
    ("compliance", "exportalert"): ("view",),
    ("compliance", "fairhousingrule"): ("view", "add", "change", "delete"),
    ("compliance", "fairhousingoverride"): ("view",),
    ("compliance", "fairhousingscanrun"): ("view",),
    ("compliance", "fairhousingscanlisting"): ("view",),
    ("compliance", "consentrecord"): ("view",),
    ("compliance", "donotcontactentry"): ("view", "delete"),
    ("compliance", "retentionpolicy"): ("view", "add", "change"),
    ("compliance", "retentionrun"): ("view",),
    ("compliance", "payoutaccount"): ("view", "add", "change"),
    ("compliance", "securityevent"): ("view",),
}


def role_groups_sync():
    """Create the role groups and give the broker group its admin permissions."""
    groups = {}
    for role in Role:
        groups[role], _ = Group.objects.get_or_create(name=role.label)
    wanted = Q(pk__in=[])
    for (app_label, model), actions in BROKER_ADMIN_PERMISSIONS.items():
        wanted |= Q(
            content_type__app_label=app_label,
            content_type__model=model,
            codename__in=[f"{action}_{model}" for action in actions],
        )
    groups[Role.BROKER].permissions.set(Permission.objects.filter(wanted))
    return groups


def brokerage_create(*, name, slug, **fields):
    """Create a brokerage (the tenant)."""
    brokerage = Brokerage(name=name, slug=slug, **fields)
    brokerage.full_clean()
    brokerage.save()
    return brokerage


def office_create(*, brokerage, name, **fields):
    """Create an office of a brokerage."""
    office = Office(brokerage=brokerage, name=name, **fields)
    office.full_clean()
    office.save()
    return office


def team_create(*, brokerage, name, office=None, lead=None):
    """Create a team of agents in a brokerage."""
    team = Team(brokerage=brokerage, name=name, office=office, lead=lead)
    team.full_clean()
    team.save()
    return team


@transaction.atomic
def agent_create(
    *,
    brokerage,
    username,
    email="",
    first_name="",
    last_name="",
    role=Role.AGENT,
    password=None,
    **profile,
):
    """Create a user and their agent profile in a brokerage, with a role."""
    user_model = get_user_model()
    user = user_model(username=username, email=email, first_name=first_name, last_name=last_name)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    agent = Agent(user=user, brokerage=brokerage, **profile)
    agent.full_clean()
    agent.save()
    agent_set_role(agent=agent, role=role)
    return agent


@transaction.atomic
def agent_set_role(*, agent, role):
    """Put the agent's user in exactly one role group; brokers get the admin."""
    role = Role(role)
    groups = role_groups_sync()
    user = agent.user
    user.groups.remove(*[group for r, group in groups.items() if r != role])
    user.groups.add(groups[role])
    should_be_staff = role == Role.BROKER or user.is_superuser
    if user.is_staff != should_be_staff:
        user.is_staff = should_be_staff
        user.save(update_fields=["is_staff"])
    user.__dict__.pop("_actor_cache", None)
    return agent


AGENT_SELF_EDITABLE = ("phone", "bio", "photo", "market_areas", "specialties", "title")


@transaction.atomic
def agent_update(*, agent, data, actor):
    """Change an agent profile; an agent may edit only their own contact and market fields."""
    from django.core.exceptions import PermissionDenied

    from realestate.permissions import CHANGE, actor_for, can

    if not can(actor, agent, CHANGE):
        raise PermissionDenied("You cannot change this agent.")
    is_broker = actor_for(actor).is_broker
    for field, value in data.items():
        if not is_broker and field not in AGENT_SELF_EDITABLE:
            raise PermissionDenied(f"Only a broker can change {field}.")
        setattr(agent, field, value)
    agent.full_clean()
    agent.save()
    return agent
