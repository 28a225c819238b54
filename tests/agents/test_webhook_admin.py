"""The back office's webhook pages: the broker's own rows only, secrets never shown, logs
read-only, replay and test send through the services."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from agents.choices import WebhookDeliveryStatus
from agents.models import IncomingWebhook, WebhookDelivery, WebhookSubscription
from tests.agents.webhook_world import build_webhook_world, make_other_broker

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas):
    return build_webhook_world(personas.brokerage, personas.broker.user)


@pytest.fixture
def broker_admin(client, personas):
    client.force_login(personas.broker.user)
    return client


def admin_url(model, view, *args):
    return reverse(f"admin:agents_{model}_{view}", args=args)


def test_the_broker_sees_every_webhook_admin_page_without_secrets(broker_admin, world):
    pages = [
        admin_url("webhooksubscription", "changelist"),
        admin_url("webhooksubscription", "change", world.subscription.pk),
        admin_url("webhookdelivery", "changelist"),
        admin_url("webhookdelivery", "change", world.dead.pk),
        admin_url("webhookattempt", "changelist"),
        admin_url("incomingwebhook", "changelist"),
        admin_url("incomingwebhook", "change", world.incoming.pk),
        admin_url("incomingwebhooklog", "changelist"),
    ]
    for url in pages:
        response = broker_admin.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert world.secret not in body and world.incoming.secret not in body, url


def test_logs_are_read_only(broker_admin, world):
    assert broker_admin.get(admin_url("webhookdelivery", "add")).status_code == 403
    assert broker_admin.get(admin_url("incomingwebhooklog", "add")).status_code == 403
    response = broker_admin.post(
        admin_url("webhookdelivery", "delete", world.dead.pk), {"post": "yes"}
    )
    assert response.status_code == 403
    assert WebhookDelivery.objects.filter(pk=world.dead.pk).exists()


def test_adding_a_subscription_checks_the_address_and_shows_the_secret_once(broker_admin, personas):
    url = admin_url("webhooksubscription", "add")
    refused = broker_admin.post(url, {"url": "http://10.0.0.1/x", "is_active": "on"})
    assert refused.status_code == 200 and not WebhookSubscription.objects.exists()
    response = broker_admin.post(
        url, {"url": "https://93.184.216.34/admin", "is_active": "on"}, follow=True
    )
    subscription = WebhookSubscription.objects.get()
    assert subscription.brokerage == personas.brokerage
    assert subscription.secret in response.content.decode()
    change = broker_admin.get(admin_url("webhooksubscription", "change", subscription.pk))
    assert subscription.secret not in change.content.decode()


def test_replay_and_test_send_actions_call_the_services(broker_admin, world, queued_tasks):
    broker_admin.post(
        admin_url("webhookdelivery", "changelist"),
        {"action": "replay", ACTION_CHECKBOX_NAME: [world.dead.pk]},
    )
    world.dead.refresh_from_db()
    assert world.dead.status == WebhookDeliveryStatus.PENDING
    broker_admin.post(
        admin_url("webhooksubscription", "changelist"),
        {"action": "send_test", ACTION_CHECKBOX_NAME: [world.subscription.pk]},
    )
    assert WebhookDelivery.objects.filter(is_test=True).count() == 1


def test_adding_an_incoming_endpoint_shows_its_secret_once(broker_admin, personas):
    response = broker_admin.post(
        admin_url("incomingwebhook", "add"),
        {"name": "Kiosk", "kind": "leads", "is_active": "on"},
        follow=True,
    )
    hook = IncomingWebhook.objects.get()
    assert hook.brokerage == personas.brokerage
    assert hook.secret in response.content.decode()


def test_a_broker_of_another_brokerage_sees_none_of_ours(client, personas, world):
    other = make_other_broker(personas.other_brokerage).user
    client.force_login(other)
    assert (
        world.subscription.url
        not in client.get(admin_url("webhooksubscription", "changelist")).content.decode()
    )
    for model, pk in (
        ("webhooksubscription", world.subscription.pk),
        ("webhookdelivery", world.dead.pk),
        ("incomingwebhook", world.incoming.pk),
    ):
        response = client.get(admin_url(model, "change", pk))
        assert response.status_code == 302  # the admin's "does not exist" redirect
    client.post(
        admin_url("webhookdelivery", "changelist"),
        {"action": "replay", ACTION_CHECKBOX_NAME: [world.dead.pk]},
    )
    world.dead.refresh_from_db()
    assert world.dead.status == WebhookDeliveryStatus.DEAD


def test_agents_have_no_webhook_admin(client_for, world):
    response = client_for("agent").get(admin_url("webhooksubscription", "changelist"))
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")
