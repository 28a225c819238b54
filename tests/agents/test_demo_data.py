from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO
from unittest import mock

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.http import HttpRequest
from django.test import Client

from agents.choices import Role
from agents.demo import (
    DEMO_BROKERAGE_SLUGS,
    DEMO_MLS_NAME,
    DEMO_PASSWORD,
    DEMO_RETS_MLS_NAME,
    demo_data_load,
    demo_logins,
)
from agents.models import Agent, Brokerage, Office, Team
from agents.selectors import agent_role_for_user
from mls.choices import AuthKind, ProviderKind, RunKind, RunState
from mls.demo.feed import demo_feed_for
from mls.demo.rets import RETS_FIELD_MAPPING
from mls.models import MLSProvider
from mls.providers.rets import RetsProvider
from mls.services import provider_sync
from properties.choices import MediaStatus, StandardStatus
from properties.images import VARIANT_FORMATS, VARIANT_SIZES
from properties.models import PriceChange, Property, PropertyMedia, StatusChange
from properties.tasks import media_process_task

pytestmark = pytest.mark.django_db


def load(*args):
    out = StringIO()
    call_command("demo_data", "--listings", "12", "--photos", "0", *args, stdout=out)
    return out.getvalue()


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Brokerage,
            Office,
            Team,
            Agent,
            get_user_model(),
            Property,
            PropertyMedia,
            PriceChange,
            StatusChange,
            MLSProvider,
        )
    }


def snapshot():
    """What must be the same whenever the demo is loaded with the same seed."""
    listings = [
        (
            p.brokerage.slug,
            p.listing_id,
            p.address_line,
            p.latitude,
            p.longitude,
            p.property_type,
            p.property_sub_type,
            p.standard_status,
            p.list_price,
            p.original_list_price,
            p.close_price,
            p.bedrooms_total,
            p.living_area,
            p.listing_contract_date,
            p.close_date,
            p.public_remarks,
            p.list_agent.user.username,
            p.created_by.username,
            [str(change.new_price) for change in p.pricechanges.order_by("pk")],
            [change.new_status for change in p.statuschanges.order_by("pk")],
            [media.checksum for media in p.media.order_by("position")],
        )
        for p in Property.objects.select_related("brokerage", "list_agent__user", "created_by")
    ]
    agents = [
        (a.user.username, a.license_number, a.license_expires, a.phone, a.office and a.office.name)
        for a in Agent.objects.select_related("user", "office")
    ]
    from clients.models import Client

    clients = [
        (c.name, c.email, c.phone, c.stage, c.assigned_agent and c.assigned_agent.name, c.score)
        for c in Client.objects.select_related("assigned_agent__user")
    ]
    return sorted(listings), sorted(agents, key=repr), sorted(clients)


def delete_demo_data():
    from clients.models import Campaign, Client, ClientSegment, LeadSource, MessageTemplate
    from transactions.models import (
        ChecklistTemplate,
        CommissionPlan,
        CommissionStatement,
        Payout,
        PlanAssignment,
        Transaction,
    )

    # In the order their protected foreign keys allow.
    for model in (Payout, CommissionStatement, Transaction, PlanAssignment, CommissionPlan):
        model.objects.all().delete()
    ChecklistTemplate.objects.all().delete()
    for model in (Campaign, ClientSegment, MessageTemplate):
        model.objects.all().delete()
    Client.objects.all().delete()
    LeadSource.objects.all().delete()
    Property.objects.all().delete()
    get_user_model().objects.filter(agent__isnull=False).delete()
    Brokerage.objects.all().delete()


def test_demo_data_creates_the_documented_brokerages_offices_and_people():
    output = load()

    brokerages = {b.slug: b for b in Brokerage.objects.all()}
    assert set(brokerages) == set(DEMO_BROKERAGE_SLUGS)
    assert {b.name for b in brokerages.values()} == {"Maple Realty", "Harbor Homes"}
    offices = Counter(Office.objects.values_list("brokerage__slug", flat=True))
    assert offices == {"maple-realty": 2, "harbor-homes": 1}
    people = Counter(Agent.objects.values_list("brokerage__slug", flat=True))
    assert people == {"maple-realty": 7, "harbor-homes": 5}
    roles = Counter(
        (agent.brokerage.slug, agent_role_for_user(user=agent.user)[1])
        for agent in Agent.objects.select_related("brokerage", "user")
    )
    assert roles == {
        ("maple-realty", Role.BROKER): 1,
        ("maple-realty", Role.AGENT): 4,
        ("maple-realty", Role.ASSISTANT): 1,
        ("maple-realty", Role.VIEWER): 1,
        ("harbor-homes", Role.BROKER): 1,
        ("harbor-homes", Role.AGENT): 2,
        ("harbor-homes", Role.ASSISTANT): 1,
        ("harbor-homes", Role.VIEWER): 1,
    }
    assert Team.objects.count() == 2
    for team in Team.objects.select_related("lead"):
        assert team.lead.team == team
        assert team.members.count() == 2
    licensed = Agent.objects.exclude(license_number="")
    assert licensed.count() == 10
    assert not licensed.filter(license_expires__isnull=True).exists()
    for login in demo_logins():
        assert login.username in output
    assert DEMO_PASSWORD in output


def test_demo_listings_are_split_across_brokerages_with_history():
    load()

    per_brokerage = Counter(Property.objects.values_list("brokerage__slug", flat=True))
    assert per_brokerage == {"maple-realty": 7, "harbor-homes": 5}
    for listing in Property.objects.select_related("list_agent"):
        assert listing.list_agent.brokerage_id == listing.brokerage_id
        assert listing.search_document
        assert listing.public_remarks and listing.showing_instructions
        assert listing.latitude is not None and listing.list_price > 0
    # Later changes went through listing_update, so the timeline has them.
    assert StatusChange.objects.exclude(old_status="").exists()
    statuses = set(Property.objects.values_list("standard_status", flat=True))
    assert StandardStatus.ACTIVE in statuses
    assert len(statuses) >= 3


def test_demo_agents_have_clients_showings_searches_and_routed_web_leads():
    from clients.choices import RoutingOutcome
    from clients.models import Client, RoutingDecision, SavedSearch, Showing

    output = load()

    agents = Agent.objects.filter(user__groups__name="Agent")
    for agent in agents:
        assert Client.objects.filter(assigned_agent=agent).exists(), agent.name
    assert Showing.objects.exists() and SavedSearch.objects.exists()
    assert Showing.objects.filter(agent__in=agents).count() == Showing.objects.count()
    outcomes = Counter(RoutingDecision.objects.values_list("outcome", flat=True))
    # Three website leads handed out round robin, the Zillow one left in the pond.
    assert outcomes == {RoutingOutcome.ASSIGNED: 6, RoutingOutcome.POND: 2}
    assert Client.objects.filter(in_pond=True, last_name="Ortiz").count() == 2
    assert "web leads" in output


def test_demo_brokerages_wear_their_brand_kits_and_have_a_draft_campaign():
    from clients.choices import CampaignStatus
    from clients.models import Campaign, MessageTemplate

    output = load()

    colours = dict(Brokerage.objects.values_list("slug", "brand_primary_color"))
    assert colours == {"maple-realty": "#9a3412", "harbor-homes": "#0f5e73"}
    assert all(Brokerage.objects.values_list("brand_disclaimer", flat=True))
    for brokerage in Brokerage.objects.all():
        campaign = Campaign.objects.get(brokerage=brokerage)
        assert campaign.status == CampaignStatus.DRAFT
        assert [step.template.channel for step in campaign.steps.order_by("position")] == [
            "email",
            "text",
        ]
        assert MessageTemplate.objects.filter(brokerage=brokerage, findings=[]).count() == 2
    assert "2 draft campaigns" in output


def test_demo_photos_are_stored_with_variants(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo_data", "--listings", "3", "--photos", "1", stdout=StringIO())

    photos = PropertyMedia.objects.all()
    assert photos.count() == 3
    for photo in photos:
        assert (photo.width, photo.height) == (1280, 960)
        assert photo.status == MediaStatus.READY, photo.error
        assert set(photo.variants) == set(VARIANT_SIZES)
        for formats in photo.variants.values():
            assert set(formats) == set(VARIANT_FORMATS)
            assert all(default_storage.exists(name) for name in formats.values())
        assert photo.property.photos_count == 1


def test_demo_photos_are_queued_for_the_worker_unless_processed_inline(
    django_capture_on_commit_callbacks,
):
    from realestate.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with (
            mock.patch.object(media_process_task, "delay") as delay,
            django_capture_on_commit_callbacks(execute=True),
        ):
            result = demo_data_load(seed=1, listings=2, photos_per_listing=2, process_photos=False)
    finally:
        app.conf.task_always_eager = eager

    assert result.photos == 4
    assert delay.call_count == 4
    assert set(PropertyMedia.objects.values_list("status", flat=True)) == {MediaStatus.PENDING}


def test_same_seed_gives_the_same_data():
    call_command("demo_data", "--listings", "12", "--photos", "1", stdout=StringIO())
    first = snapshot()
    delete_demo_data()
    call_command("demo_data", "--listings", "12", "--photos", "1", stdout=StringIO())

    assert snapshot() == first
    delete_demo_data()
    call_command("demo_data", "--seed", "7", "--listings", "12", "--photos", "1", stdout=StringIO())
    assert snapshot()[0] != first[0]


def test_running_twice_creates_nothing_new():
    load()
    before = counts()

    output = load()

    assert counts() == before
    assert "already loaded" in output
    assert "broker" in output


def test_every_demo_user_can_sign_in_with_the_demo_password():
    load()

    logins = demo_logins()
    assert len(logins) == 12
    for login in logins:
        # django-axes checks every sign-in against the request it comes with.
        user = authenticate(HttpRequest(), username=login.username, password=DEMO_PASSWORD)
        assert user is not None, login.username
        assert Client().login(
            request=HttpRequest(), username=login.username, password=DEMO_PASSWORD
        )
    assert authenticate(HttpRequest(), username="alice", password="wrong-password") is None


def test_demo_data_adds_the_demo_mls_as_a_reso_feed_and_a_disabled_rets_feed(settings):
    settings.SITE_URL = "http://crm.example:8000/"
    output = load()

    providers = {p.name: p for p in MLSProvider.objects.select_related("brokerage")}
    assert set(providers) == {DEMO_MLS_NAME, DEMO_RETS_MLS_NAME}
    reso, rets = providers[DEMO_MLS_NAME], providers[DEMO_RETS_MLS_NAME]
    assert reso.brokerage == rets.brokerage
    assert reso.brokerage.slug == DEMO_BROKERAGE_SLUGS[0]
    assert (reso.kind, reso.enabled) == (ProviderKind.RESO_WEB_API, True)
    assert reso.endpoint == "http://crm.example:8000/mls/demo/demo/odata"
    # The same demo listings through the RETS server: off, or each would be listed twice.
    assert (rets.kind, rets.enabled, rets.auth_kind) == (ProviderKind.RETS, False, AuthKind.LOGIN)
    assert rets.endpoint == "http://crm.example:8000/mls/demo/demo/rets/login"
    assert (rets.username, rets.password, rets.search_class) == ("demo", "demo-secret", "Property")
    assert (rets.client_id, rets.client_secret) == ("", "")
    assert rets.field_mapping == RETS_FIELD_MAPPING
    assert rets.allow_private_network
    assert rets.periodic_task is not None and not rets.periodic_task.enabled
    assert reso.periodic_task.enabled
    assert rets.endpoint in output and "disabled" in output


def test_running_twice_keeps_one_of_each_demo_feed():
    load()
    load()

    assert sorted(MLSProvider.objects.values_list("name", flat=True)) == [
        DEMO_MLS_NAME,
        DEMO_RETS_MLS_NAME,
    ]


@pytest.mark.django_db(transaction=True)
def test_the_demo_rets_feed_reads_the_demo_mls_when_synced(settings, live_server, queued_tasks):
    settings.SITE_URL = live_server.url
    settings.MLS_DEMO_NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    settings.MLS_DEMO_FEEDS = {"demo": {"size": 12}}
    load()
    provider = MLSProvider.objects.get(name=DEMO_RETS_MLS_NAME)

    run = provider_sync(provider=provider, kind=RunKind.FULL, feed=RetsProvider(provider))

    assert run.state == RunState.SUCCEEDED, run.message
    keys = {record["ListingKey"] for record in demo_feed_for("demo").current_records()}
    assert keys
    listed = set(
        Property.objects.filter(mls_provider=provider).values_list("listing_key", flat=True)
    )
    assert listed == keys


def test_demo_deals_cover_every_stage_with_statements_of_shared_deals():
    from transactions.choices import DealStage
    from transactions.models import CommissionShare, CommissionStatement, Transaction
    from transactions.models.commissions import StatementStatus

    load()

    for slug in DEMO_BROKERAGE_SLUGS:
        deals = Transaction.objects.filter(brokerage__slug=slug)
        assert set(deals.values_list("stage", flat=True)) == set(DealStage.values), slug
        statements = CommissionStatement.objects.filter(transaction__brokerage__slug=slug)
        assert statements.filter(status=StatementStatus.PAID).exists(), slug
        assert CommissionShare.objects.filter(transaction__brokerage__slug=slug).exists(), slug
    for statement in CommissionStatement.objects.all():
        lines = sum(Decimal(line["amount"]) for line in statement.lines)
        assert lines == statement.gross
