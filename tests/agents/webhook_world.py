"""A brokerage's webhooks for page and API tests: a subscription with a delivered and a dead
delivery, and a lead source endpoint with a logged request."""

import json
from dataclasses import dataclass

from django.utils import timezone

from agents.choices import IncomingWebhookKind, Role, WebhookDeliveryStatus
from agents.models import IncomingWebhookLog, WebhookAttempt, WebhookDelivery
from agents.services.webhooks import incoming_endpoint_create, webhook_subscription_create
from tests.testing.factories import make_agent

PUBLIC_URL = "https://93.184.216.34/hooks/crm"


@dataclass
class WebhookWorld:
    subscription: object
    secret: str
    delivered: object
    dead: object
    attempt: object
    incoming: object
    log: object


def make_delivery(subscription, *, status, message_id, code=None, **fields):
    return WebhookDelivery.objects.create(
        subscription=subscription,
        message_id=message_id,
        event_name="client.created",
        body=json.dumps({"id": message_id}),
        status=status,
        attempts=1,
        last_status_code=code,
        **fields,
    )


def build_webhook_world(brokerage, broker_user, mark="webhook"):
    created = webhook_subscription_create(
        brokerage=brokerage, url=PUBLIC_URL, description=mark, actor=broker_user
    )
    subscription = created.subscription
    delivered = make_delivery(
        subscription,
        status=WebhookDeliveryStatus.SUCCEEDED,
        message_id=f"msg_ok_{mark}",
        code=200,
        delivered_at=timezone.now(),
    )
    dead = make_delivery(
        subscription, status=WebhookDeliveryStatus.DEAD, message_id=f"msg_dead_{mark}", code=500
    )
    attempt = WebhookAttempt.objects.create(
        delivery=dead, status_code=500, duration_ms=12, response_excerpt=mark
    )
    incoming = incoming_endpoint_create(
        brokerage=brokerage,
        name=f"{mark} leads",
        kind=IncomingWebhookKind.LEADS,
        actor=broker_user,
    )
    log = IncomingWebhookLog.objects.create(
        webhook=incoming, status_code=401, verified=False, error=mark, message_id=f"msg_{mark}"
    )
    return WebhookWorld(subscription, created.secret, delivered, dead, attempt, incoming, log)


def make_other_broker(brokerage):
    return make_agent(brokerage, Role.BROKER, username=f"other-broker-{brokerage.pk}")
