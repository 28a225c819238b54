"""Every page and API route, walked as an agent of another brokerage: nothing of ours is seen
or changed.

Each URL pattern of the project must be listed below, in exactly one of:

* ``OBJECT_ROUTES``: the route names an object of brokerage A (the persona's ``brokerage``);
  its parameters are filled with A's objects and the stranger must get 403, 404 or 405
  for GET, POST, PATCH and DELETE;
* ``OPEN_ROUTES``: lists, forms and reports whose data is the caller's own (the stranger sees
  their brokerage's rows); nothing of brokerage A may appear in the answer;
* ``PUBLIC_ROUTES``: answered without signing in, each with the reason; a token in the URL is
  one the stranger guessed, which must find nothing.

A new URL that is in none of them fails ``test_every_route_is_known_to_the_sweep``: say how
to fill its parameters before it ships.
"""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from agents.choices import EventName
from agents.models import Notification
from agents.services.events import event_record
from clients.choices import AlertFrequency
from clients.models import OutreachAttempt, Showing
from clients.services.alerts import saved_search_create
from clients.services.campaigns import campaign_create, campaign_step_add
from clients.services.outreach import segment_create, template_create
from clients.services.people import task_create
from compliance.models.fair_housing import FairHousingRule, FairHousingScanRun, ProtectedClass
from compliance.models.licences import Licence
from compliance.models.privacy import (
    DoNotContactEntry,
    DoNotContactKind,
    RetentionRun,
    RetentionTrigger,
)
from properties.models import CMA
from properties.services import media_add
from tests.agents.webhook_world import build_webhook_world
from tests.clients.test_intake_pond import make_pond_lead
from tests.testing.factories import (
    image_bytes,
    make_client,
    make_listing,
    make_mls_provider,
    make_sync_run,
)
from tests.transactions.factories import make_deal
from tests.transactions.test_documents import pdf_upload
from transactions.choices import DealStage, Side
from transactions.models import CommissionPlan, Milestone, Party, Transaction
from transactions.services.commissions import commission_statement_build, plan_assign
from transactions.services.documents import document_upload
from transactions.services.signing import signing_request_create

pytestmark = pytest.mark.django_db

# Written into brokerage A's rows: an answer to the stranger that holds it has leaked them.
MARK = "Qzsweepmark"
METHODS = ("get", "post", "patch", "delete")
DENIED = {403, 404, 405}

# Route name -> the URL kwargs naming brokerage A's objects (``w`` is the world below).
OBJECT_ROUTES = {
    "properties:detail": lambda w: {"pk": w.listing.pk},
    "properties:edit": lambda w: {"pk": w.listing.pk},
    "properties:archive": lambda w: {"pk": w.listing.pk},
    "properties:restore": lambda w: {"pk": w.listing.pk},
    "properties:photos": lambda w: {"pk": w.listing.pk},
    "properties:photo-delete": lambda w: {"pk": w.listing.pk, "media_pk": w.media.pk},
    "clients:task-edit": lambda w: {"pk": w.task.pk},
    "clients:task-complete": lambda w: {"pk": w.task.pk},
    "clients:detail": lambda w: {"pk": w.client.pk},
    "clients:edit": lambda w: {"pk": w.client.pk},
    "clients:preferences": lambda w: {"pk": w.client.pk},
    "clients:stage": lambda w: {"pk": w.client.pk},
    "clients:activity-create": lambda w: {"pk": w.client.pk},
    "clients:share": lambda w: {"pk": w.client.pk},
    "clients:claim": lambda w: {"pk": w.pond_lead.pk},
    "clients:vcard": lambda w: {"pk": w.client.pk},
    "clients:search-edit": lambda w: {"pk": w.search.pk},
    "clients:search-delete": lambda w: {"pk": w.search.pk},
    "clients:listing-buyers": lambda w: {"pk": w.listing.pk},
    "clients:client-matches": lambda w: {"pk": w.client.pk},
    "clients:showing-detail": lambda w: {"pk": w.showing.pk},
    "clients:showing-edit": lambda w: {"pk": w.showing.pk},
    "clients:showing-confirm": lambda w: {"pk": w.showing.pk},
    "clients:showing-cancel": lambda w: {"pk": w.showing.pk},
    "clients:showing-complete": lambda w: {"pk": w.showing.pk},
    "transactions:detail": lambda w: {"pk": w.deal.pk},
    "transactions:edit": lambda w: {"pk": w.deal.pk},
    "transactions:stage": lambda w: {"pk": w.deal.pk},
    "transactions:milestone-add": lambda w: {"pk": w.deal.pk},
    "transactions:party-add": lambda w: {"pk": w.deal.pk},
    "transactions:party-remove": lambda w: {"pk": w.party.pk},
    "transactions:milestone-complete": lambda w: {"pk": w.milestone.pk},
    "transactions:milestone-waive": lambda w: {"pk": w.milestone.pk},
    "transactions:milestone-reopen": lambda w: {"pk": w.milestone.pk},
    "transactions:documents": lambda w: {"pk": w.deal.pk},
    "transactions:document-upload": lambda w: {"pk": w.deal.pk},
    "transactions:document-download": lambda w: {"pk": w.document.pk},
    "transactions:document-review": lambda w: {"pk": w.document.pk},
    "transactions:document-signing": lambda w: {"pk": w.document.pk},
    "transactions:signing-certificate": lambda w: {"pk": w.signing.pk},
    "transactions:statement": lambda w: {"pk": w.statement.pk},
    "transactions:statement-pdf": lambda w: {"pk": w.statement.pk},
    "transactions:statement-approve": lambda w: {"pk": w.statement.pk},
    "transactions:statement-payout": lambda w: {"pk": w.statement.pk},
    "transactions:statement-build": lambda w: {"pk": w.closed_deal.pk},
    "mls:provider-card": lambda w: {"pk": w.provider.pk},
    "mls:provider-sync": lambda w: {"pk": w.provider.pk},
    "mls:provider-sync-full": lambda w: {"pk": w.provider.pk},
    "mls:provider-cancel": lambda w: {"pk": w.provider.pk},
    "mls:provider-enable": lambda w: {"pk": w.provider.pk},
    "mls:provider-disable": lambda w: {"pk": w.provider.pk},
    "mls:provider-interval": lambda w: {"pk": w.provider.pk},
    "clients:outreach-template": lambda w: {"pk": w.template.pk},
    "clients:outreach-template-edit": lambda w: {"pk": w.template.pk},
    "clients:outreach-template-preview": lambda w: {"pk": w.template.pk},
    "clients:outreach-template-approve": lambda w: {"pk": w.template.pk},
    "clients:outreach-template-delete": lambda w: {"pk": w.template.pk},
    "clients:outreach-segment-edit": lambda w: {"pk": w.segment.pk},
    "clients:outreach-segment-delete": lambda w: {"pk": w.segment.pk},
    "clients:outreach-campaign": lambda w: {"pk": w.campaign.pk},
    "clients:outreach-campaign-edit": lambda w: {"pk": w.campaign.pk},
    "clients:outreach-campaign-step-add": lambda w: {"pk": w.campaign.pk},
    "clients:outreach-campaign-start": lambda w: {"pk": w.campaign.pk},
    "clients:outreach-campaign-pause": lambda w: {"pk": w.campaign.pk},
    "clients:outreach-campaign-resume": lambda w: {"pk": w.campaign.pk},
    "clients:outreach-campaign-delete": lambda w: {"pk": w.campaign.pk},
    "clients:outreach-step-remove": lambda w: {"pk": w.step.pk},
    # API
    "outreach-template-detail": lambda w: {"pk": w.template.pk},
    "outreach-template-preview": lambda w: {"pk": w.template.pk},
    "outreach-template-send": lambda w: {"pk": w.template.pk},
    "outreach-segment-detail": lambda w: {"pk": w.segment.pk},
    "outreach-campaign-detail": lambda w: {"pk": w.campaign.pk},
    "outreach-campaign-start": lambda w: {"pk": w.campaign.pk},
    "outreach-campaign-pause": lambda w: {"pk": w.campaign.pk},
    "outreach-campaign-resume": lambda w: {"pk": w.campaign.pk},
    "outreach-campaign-metrics": lambda w: {"pk": w.campaign.pk},
    "outreach-attempt-detail": lambda w: {"pk": w.attempt.pk},
    "lead-claim": lambda w: {"pk": w.pond_lead.pk},
    "client-matches": lambda w: {"pk": w.client.pk},
    "listing-buyers": lambda w: {"pk": w.listing.pk},
    "property-detail": lambda w: {"pk": w.listing.pk},
    "property-media": lambda w: {"pk": w.listing.pk},
    "property-media-remove": lambda w: {"pk": w.listing.pk, "media_id": w.media.pk},
    "property-timeline": lambda w: {"pk": w.listing.pk},
    "agent-detail": lambda w: {"pk": w.agent.pk},
    "mls-provider-detail": lambda w: {"pk": w.provider.pk},
    "mls-provider-cancel": lambda w: {"pk": w.provider.pk},
    "mls-provider-disable": lambda w: {"pk": w.provider.pk},
    "mls-provider-enable": lambda w: {"pk": w.provider.pk},
    "mls-provider-errors": lambda w: {"pk": w.provider.pk},
    "mls-provider-interval": lambda w: {"pk": w.provider.pk},
    "mls-provider-runs": lambda w: {"pk": w.provider.pk},
    "mls-provider-sync": lambda w: {"pk": w.provider.pk},
    "mls-provider-upload": lambda w: {"pk": w.provider.pk},
    "mls-run-detail": lambda w: {"pk": w.run.pk},
    "client-detail": lambda w: {"pk": w.client.pk},
    "client-activities": lambda w: {"pk": w.client.pk},
    "task-detail": lambda w: {"pk": w.task.pk},
    "task-complete": lambda w: {"pk": w.task.pk},
    "saved-search-detail": lambda w: {"pk": w.search.pk},
    "showing-detail": lambda w: {"pk": w.showing.pk},
    "showing-cancel": lambda w: {"pk": w.showing.pk},
    "showing-complete": lambda w: {"pk": w.showing.pk},
    "showing-confirm": lambda w: {"pk": w.showing.pk},
    "transaction-detail": lambda w: {"pk": w.deal.pk},
    "transaction-parties": lambda w: {"pk": w.deal.pk},
    "transaction-remove-party": lambda w: {"pk": w.deal.pk, "party_id": w.party.pk},
    "transaction-stage": lambda w: {"pk": w.deal.pk},
    "milestone-detail": lambda w: {"pk": w.milestone.pk},
    "milestone-complete": lambda w: {"pk": w.milestone.pk},
    "milestone-reopen": lambda w: {"pk": w.milestone.pk},
    "milestone-waive": lambda w: {"pk": w.milestone.pk},
    "deal-document-detail": lambda w: {"pk": w.document.pk},
    "deal-document-download": lambda w: {"pk": w.document.pk},
    "deal-document-review": lambda w: {"pk": w.document.pk},
    "signing-request-detail": lambda w: {"pk": w.signing.pk},
    "signing-request-cancel": lambda w: {"pk": w.signing.pk},
    "signing-request-verify": lambda w: {"pk": w.signing.pk},
    "commission-statement-detail": lambda w: {"pk": w.statement.pk},
    "commission-statement-approve": lambda w: {"pk": w.statement.pk},
    "commission-statement-payout": lambda w: {"pk": w.statement.pk},
    "commission-plan-detail": lambda w: {"pk": w.plan.pk},
    "transactions:shares": lambda w: {"pk": w.deal.pk},
    "transactions:signing-cancel": lambda w: {"pk": w.signing.pk},
    "transactions:signing-remind": lambda w: {"pk": w.signing.pk},
    "transaction-shares": lambda w: {"pk": w.deal.pk},
    "signing-request-remind": lambda w: {"pk": w.signing.pk},
    "properties:cma-detail": lambda w: {"pk": w.cma.pk},
    "properties:cma-pdf": lambda w: {"pk": w.cma.pk},
    "cma-detail": lambda w: {"pk": w.cma.pk},
    "properties:materials": lambda w: {"pk": w.listing.pk},
    "properties:materials-flyer": lambda w: {"pk": w.listing.pk},
    "properties:materials-sign-in-sheet": lambda w: {"pk": w.listing.pk},
    "properties:materials-social": lambda w: {"pk": w.listing.pk},
    "property-materials-flyer": lambda w: {"pk": w.listing.pk},
    "property-materials-sign-in-sheet": lambda w: {"pk": w.listing.pk},
    "property-materials-social": lambda w: {"pk": w.listing.pk},
    "property-description-drafts": lambda w: {"pk": w.listing.pk},
    # Compliance
    "compliance:licence-detail": lambda w: {"pk": w.licence.pk},
    "compliance:fair-housing-run": lambda w: {"pk": w.scan_run.pk},
    "compliance:fair-housing-listing": lambda w: {"pk": w.listing.pk},
    "compliance:client-consent": lambda w: {"pk": w.client.pk},
    "compliance:client-export": lambda w: {"pk": w.client.pk},
    "compliance:client-erase": lambda w: {"pk": w.client.pk},
    "compliance:do-not-contact-delete": lambda w: {"pk": w.dnc_entry.pk},
    "licence-detail": lambda w: {"pk": w.licence.pk},
    "fair-housing-run-detail": lambda w: {"pk": w.scan_run.pk},
    "fair-housing-run-listings": lambda w: {"pk": w.scan_run.pk},
    "fair-housing-rule-detail": lambda w: {"pk": w.rule.pk},
    "client-consent": lambda w: {"pk": w.client.pk},
    "client-data-export": lambda w: {"pk": w.client.pk},
    "client-erase": lambda w: {"pk": w.client.pk},
    "do-not-contact-detail": lambda w: {"pk": w.dnc_entry.pk},
    "retention-run-detail": lambda w: {"pk": w.retention_run.pk},
    # Notifications
    "notifications:read": lambda w: {"pk": w.notification.pk},
    "notification-detail": lambda w: {"pk": w.notification.pk},
    "notification-read": lambda w: {"pk": w.notification.pk},
    # Webhooks
    "webhooks:detail": lambda w: {"pk": w.webhooks.subscription.pk},
    "webhooks:edit": lambda w: {"pk": w.webhooks.subscription.pk},
    "webhooks:delete": lambda w: {"pk": w.webhooks.subscription.pk},
    "webhooks:test": lambda w: {"pk": w.webhooks.subscription.pk},
    "webhooks:rotate-secret": lambda w: {"pk": w.webhooks.subscription.pk},
    "webhooks:delivery": lambda w: {"pk": w.webhooks.dead.pk},
    "webhooks:delivery-replay": lambda w: {"pk": w.webhooks.dead.pk},
    "webhooks:incoming-detail": lambda w: {"pk": w.webhooks.incoming.pk},
    "webhook-subscription-detail": lambda w: {"pk": w.webhooks.subscription.pk},
    "webhook-subscription-test-send": lambda w: {"pk": w.webhooks.subscription.pk},
    "webhook-subscription-rotate-secret": lambda w: {"pk": w.webhooks.subscription.pk},
    "webhook-delivery-detail": lambda w: {"pk": w.webhooks.dead.pk},
    "webhook-delivery-replay": lambda w: {"pk": w.webhooks.dead.pk},
    "incoming-webhook-detail": lambda w: {"pk": w.webhooks.incoming.pk},
    "incoming-webhook-log": lambda w: {"pk": w.webhooks.incoming.pk},
    # Event log
    "event-detail": lambda w: {"pk": w.event.pk},
}

# Routes without an object of A in the URL: the caller's own lists, forms and reports.
OPEN_ROUTES = {
    "dashboard",
    "dashboard-performance",
    "dashboard-performance-export",
    "dashboard-brokerage",
    "dashboard-brokerage-export",
    "dashboard-activity",
    "event-list",
    "properties:list",
    "properties:create",
    "clients:list",
    "clients:create",
    "clients:pipeline",
    "clients:day",
    "clients:tasks",
    "clients:task-create",
    "clients:pond",
    "clients:import",
    "clients:import-map",
    "clients:export-csv",
    "clients:export-vcf",
    "clients:duplicates",
    "clients:merge",
    "clients:searches",
    "clients:search-create",
    "clients:showings",
    "clients:showing-create",
    "clients:calendar",
    "clients:calendar-feed-settings",
    "clients:calendar-feed-create",
    "clients:calendar-feed-revoke",
    "clients:outreach-templates",
    "clients:outreach-template-create",
    "clients:outreach-template-draft-preview",
    "clients:outreach-segments",
    "clients:outreach-segment-create",
    "clients:outreach-campaigns",
    "clients:outreach-campaign-create",
    "outreach-template-list",
    "outreach-segment-list",
    "outreach-campaign-list",
    "outreach-attempt-list",
    "transactions:list",
    "transactions:create",
    "transactions:pipeline",
    "transactions:review-queue",
    "transactions:production",
    "mls:providers",
    "compliance:home",
    "compliance:licence-list",
    "compliance:listing-access-list",
    "compliance:fair-housing-runs",
    "compliance:do-not-contact",
    "compliance:retention",
    "compliance:payout-account",
    "properties:export-csv",
    "properties:cma-list",
    "properties:market",
    "properties:market-csv",
    "market-stats",
    "properties:cma-run",
    "properties:cma-save",
    "cma-list",
    "licence-list",
    "fair-housing-scan",
    "fair-housing-override",
    "fair-housing-run-list",
    "fair-housing-rule-list",
    "do-not-contact-list",
    "do-not-contact-import",
    "retention-policy",
    "retention-run-list",
    "me-payout-account",
    "compliance:audit",
    "compliance:audit-export",
    "compliance:security-events",
    "compliance:security-events-export",
    "me",
    "client-import",
    "client-export-csv",
    "client-export-vcf",
    "client-duplicates",
    "client-merge",
    "me-calendar-feed",
    "production",
    "property-list",
    "agent-list",
    "mls-provider-list",
    "mls-provider-stats",
    "mls-provider-status",
    "mls-run-list",
    "client-list",
    "task-list",
    "saved-search-list",
    "showing-list",
    "transaction-list",
    "milestone-list",
    "deal-document-list",
    "signing-request-list",
    "commission-statement-list",
    "commission-statement-build",
    "commission-plan-list",
    "api-root",
    "api-schema",
    "api-docs",
    "notifications:list",
    "notifications:read-all",
    "notifications:bell",
    "notifications:unread-count",
    "notifications:settings",
    "notification-list",
    "notification-read-all",
    "notification-unread-count",
    "me-alert-settings",
    "webhooks:list",
    "webhooks:create",
    "webhooks:dead",
    "webhooks:dead-replay",
    "webhooks:incoming-create",
    "webhook-subscription-list",
    "webhook-delivery-list",
    "webhook-delivery-replay-dead",
    "incoming-webhook-list",
    "brand-kit",
    "signature",
    "me-signature",
}

# Answered without signing in, with the reason; the kwargs are what a stranger could try.
PUBLIC_ROUTES = {
    "login": ("the sign-in page", lambda w: {}),
    "logout": ("signing out (POST only; the sweep sends GET)", lambda w: {}),
    "token-obtain": ("the API's sign-in", lambda w: {}),
    "token-refresh": ("renews a token the caller holds", lambda w: {}),
    "token-verify": ("checks a token the caller holds", lambda w: {}),
    "clients:intake-form": (
        "a brokerage's public lead form: it shows the brokerage's name, nothing else",
        lambda w: {"slug": w.brokerage.slug},
    ),
    "lead-intake": (
        "the brokerage websites' lead endpoint: a form token or an intake key",
        lambda w: {"slug": w.brokerage.slug},
    ),
    "clients:unsubscribe": ("a client's unsubscribe link", lambda w: {"token": uuid.uuid4()}),
    "clients:alert-listing": (
        "a listing in a client's alert email",
        lambda w: {"token": uuid.uuid4(), "pk": w.listing.pk},
    ),
    "clients:outreach-unsubscribe": (
        "the unsubscribe link of a campaign email",
        lambda w: {"token": uuid.uuid4()},
    ),
    "outreach-delivery-events": (
        "a provider's delivery events, signed with the endpoint's secret",
        lambda w: {"token": uuid.uuid4()},
    ),
    "clients:calendar-feed": (
        "an agent's private calendar address",
        lambda w: {"token": "guessed-calendar-token-0123456789abcdef"},
    ),
    "transactions:sign": (
        "a signer's link",
        lambda w: {"token": "guessed-signing-token-0123456789abcdef"},
    ),
    "lead-webhook": (
        "a lead source's signed webhook: its token and a valid signature",
        lambda w: {"token": uuid.uuid4()},
    ),
    "transactions:sign-document": (
        "the document behind a signer's link",
        lambda w: {"token": "guessed-signing-token-0123456789abcdef"},
    ),
}
# The demo MLS (a stand-in MLS server with made-up listings, no brokerage data).
DEMO_MLS = "mls_demo:"
DEMO_MLS_KWARGS = {"feed": "demo", "listing_key": "NO-SUCH-KEY", "number": 1}


class World:
    """Brokerage A's objects, one of each kind a URL can name, all carrying ``MARK``."""

    def __init__(self, personas):
        self.brokerage = personas.brokerage
        self.agent = personas.agent
        user = personas.agent.user
        self.listing = make_listing(user, street_name=MARK)
        self.media = media_add(
            listing=self.listing,
            upload=SimpleUploadedFile("front.jpg", image_bytes(), content_type="image/jpeg"),
            actor=user,
            caption=MARK,
        )
        self.client = make_client(user, first_name=MARK)
        self.pond_lead = make_pond_lead(self.brokerage, name=MARK)
        self.task = task_create(data={"title": MARK, "due_date": date.today()}, actor=user)
        self.search = saved_search_create(
            client=self.client,
            criteria={},
            name=MARK,
            frequency=AlertFrequency.DAILY,
            actor=user,
        )
        starts_at = timezone.now() + timedelta(days=1)
        self.showing = Showing.objects.create(
            brokerage=self.brokerage,
            listing=self.listing,
            agent=self.agent,
            client=self.client,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=30),
            notes=MARK,
        )
        self.deal = make_deal(user, name=f"{MARK} deal")
        self.party = Party.objects.create(transaction=self.deal, role="buyer", name=MARK)
        self.milestone = Milestone.objects.create(transaction=self.deal, title=MARK)
        self.document = document_upload(
            transaction=self.deal, milestone=None, upload=pdf_upload(), title=MARK, actor=user
        )
        self.signing = signing_request_create(
            document=self.document,
            signers=[{"name": MARK, "email": "signer@example.com"}],
            actor=user,
        )
        self.plan = CommissionPlan.objects.create(
            brokerage=self.brokerage, name=MARK, agent_share=Decimal("0.80")
        )
        plan_assign(
            agent=self.agent,
            plan=self.plan,
            starts_on=date.today() - timedelta(days=30),
            actor=personas.broker.user,
        )
        self.closed_deal = Transaction.objects.create(
            brokerage=self.brokerage,
            agent=self.agent,
            name=f"{MARK} closed",
            side=Side.BUYER,
            stage=DealStage.CLOSED,
            sale_price=Decimal("500000.00"),
            commission_rate=Decimal("0.03"),
            closed_on=date.today(),
        )
        self.statement = commission_statement_build(
            deal=self.closed_deal, agent=self.agent, actor=personas.broker.user
        )
        self.provider = make_mls_provider(self.brokerage, name=MARK)
        self.cma = CMA.objects.create(
            brokerage=self.brokerage,
            title=MARK,
            listing=self.listing,
            as_of=date.today(),
            subject={"UnparsedAddress": MARK},
            result={"note": MARK},
            created_by=user,
        )
        self.licence = Licence.objects.create(
            agent=self.agent, number=MARK, state="MA", expires_on=date.today() + timedelta(days=400)
        )
        self.rule = FairHousingRule.objects.create(
            brokerage=self.brokerage,
            phrase=MARK.lower(),
            protected_class=ProtectedClass.OTHER,
            class_label=MARK,
            reason=MARK,
        )
        self.scan_run = FairHousingScanRun.objects.create(brokerage=self.brokerage)
        self.dnc_entry = DoNotContactEntry.objects.create(
            brokerage=self.brokerage, kind=DoNotContactKind.EMAIL, value=f"{MARK}@example.com"
        )
        self.retention_run = RetentionRun.objects.create(
            brokerage=self.brokerage,
            trigger=RetentionTrigger.MANUAL,
            period_months=60,
            cutoff=timezone.now(),
        )
        self.run = make_sync_run(self.provider)
        self.notification = Notification.objects.create(
            recipient=user,
            brokerage=self.brokerage,
            title=MARK,
            body=MARK,
            url=self.listing.get_absolute_url(),
            dedupe_key=f"sweep:{MARK}",
        )
        self.webhooks = build_webhook_world(self.brokerage, personas.broker.user, mark=MARK)
        self.template = template_create(
            data={"name": MARK, "channel": "email", "subject": MARK, "body": MARK}, actor=user
        )
        self.segment = segment_create(name=MARK, query="", actor=user)
        self.campaign = campaign_create(
            data={"name": MARK, "segment": self.segment, "kind": "drip"}, actor=user
        )
        self.step = campaign_step_add(
            campaign=self.campaign, template=self.template, delay_hours=1, actor=user
        )
        self.attempt = OutreachAttempt.objects.create(
            brokerage=self.brokerage,
            client=self.client,
            channel="email",
            template=self.template,
            subject=MARK,
            body=MARK,
            idempotency_key=f"sweep-{MARK}",
        )
        self.event = event_record(
            brokerage=self.brokerage,
            name=EventName.CLIENT_CREATED,
            subject=self.client,
            payload={"name": MARK},
            actor=user,
        )

    def objects(self):
        webhooks = [value for value in vars(self.webhooks).values() if hasattr(value, "pk")]
        return [
            value
            for name, value in vars(self).items()
            if hasattr(value, "pk") and name not in ("brokerage", "agent")
        ] + webhooks

    def snapshot(self):
        """Every stored value of every object of the world."""
        return {
            (type(obj).__name__, obj.pk): type(obj)._base_manager.filter(pk=obj.pk).values().first()
            for obj in self.objects()
        }


def walk(patterns, namespace=""):
    """``(name, pattern)`` of every URL pattern of the project, includes recursed."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name or ''}", pattern


def route_params(pattern):
    return set(pattern.pattern.regex.groupindex)


def project_routes():
    """Every (name, parameter names) of the project, the admin apart."""
    routes = {}
    for name, pattern in walk(get_resolver().url_patterns):
        if name.startswith("admin:"):
            continue
        routes.setdefault(name, []).append(route_params(pattern))
    return routes


def test_every_route_is_known_to_the_sweep():
    known = set(OBJECT_ROUTES) | OPEN_ROUTES | set(PUBLIC_ROUTES)
    routes = project_routes()
    unknown = sorted(name for name in routes if name not in known and not name.startswith(DEMO_MLS))
    assert unknown == [], "add these routes to the permission sweep's mapping"
    assert sorted(known - set(routes)) == [], "routes the sweep lists that no longer exist"
    unnamed = [name for name in routes if name == "" or name.endswith(":")]
    assert unnamed == []


def test_open_routes_take_no_object_from_the_url():
    routes = project_routes()
    for name in OPEN_ROUTES:
        for params in routes[name]:
            assert params <= {"format"}, name


def urls_for(name, kwargs_list):
    """The URL of a route for each of its patterns (with and without a ``.json`` suffix)."""
    urls = []
    for params in project_routes()[name]:
        kwargs = {key: value for key, value in kwargs_list.items() if key in params}
        if "format" in params:
            kwargs["format"] = "json"
        urls.append(reverse(name, kwargs=kwargs))
    return urls


def body_of(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def sweep(client, urls):
    """Every method on every URL: ``[(method, url, status, body)]``."""
    results = []
    for url in urls:
        for method in METHODS:
            response = getattr(client, method)(url)
            results.append((method, url, response.status_code, body_of(response)))
    return results


@pytest.fixture
def world(personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return World(personas)


@pytest.fixture
def stranger_clients(personas):
    page = Client(raise_request_exception=False)
    page.force_login(personas.stranger.user)
    api = APIClient(raise_request_exception=False)
    api.force_authenticate(personas.stranger.user)
    return page, api


def client_for_route(name, stranger_clients):
    page, api = stranger_clients
    return (
        page if ":" in name or name in ("login", "logout") or name.startswith("dashboard") else api
    )


def test_the_stranger_gets_403_or_404_for_every_object_of_another_brokerage(
    world, stranger_clients
):
    before = world.snapshot()
    failures = []
    for name, fill in OBJECT_ROUTES.items():
        client = client_for_route(name, stranger_clients)
        for method, url, status, body in sweep(client, urls_for(name, fill(world))):
            if status not in DENIED or MARK.encode() in body:
                failures.append((name, method, url, status))
    assert failures == []
    assert world.snapshot() == before


def test_the_stranger_sees_nothing_of_another_brokerage_on_open_routes(world, stranger_clients):
    before = world.snapshot()
    failures = []
    for name in sorted(OPEN_ROUTES):
        client = client_for_route(name, stranger_clients)
        for method, url, status, body in sweep(client, urls_for(name, {})):
            if status >= 500 or MARK.encode() in body:
                failures.append((name, method, url, status))
    assert failures == []
    assert world.snapshot() == before


def test_public_routes_find_nothing_with_a_guessed_token(world, stranger_clients):
    before = world.snapshot()
    failures = []
    for name, (_reason, fill) in PUBLIC_ROUTES.items():
        kwargs = fill(world)
        client = client_for_route(name, stranger_clients)
        for method, url, status, body in sweep(client, urls_for(name, kwargs)):
            guessed = "token" in kwargs
            if status >= 500 or MARK.encode() in body or (guessed and status not in DENIED):
                failures.append((name, method, url, status))
    assert failures == []
    assert world.snapshot() == before


def test_the_demo_mls_serves_no_brokerage_data(world, stranger_clients):
    page, _api = stranger_clients
    for name in project_routes():
        if name.startswith(DEMO_MLS):
            for _method, url, status, body in sweep(page, urls_for(name, DEMO_MLS_KWARGS)):
                assert status < 500, url
                assert MARK.encode() not in body, url


def admin_kwargs(params):
    values = {"app_label": "agents", "content_type_id": 1, "object_id": "1", "id": "1", "url": "x"}
    return {key: values[key] for key in params}


def test_the_back_office_is_closed_to_people_who_are_not_staff(world, stranger_clients):
    page, _api = stranger_clients
    checked = 0
    for name, pattern in walk(get_resolver().url_patterns):
        if not name.startswith("admin:") or name in ("admin:", "admin:login", "admin:logout"):
            continue
        params = route_params(pattern)
        if params - {"app_label", "content_type_id", "object_id", "id", "url"}:
            pytest.fail(f"the sweep cannot fill {name} {sorted(params)}")
        url = reverse(name, kwargs=admin_kwargs(params))
        response = page.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith("/admin/login/"), url
        checked += 1
    assert checked > 50
    # The admin's unnamed catch-all answers any other address under /admin/ the same way.
    response = page.get("/admin/agents/no-such-page/")
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")
