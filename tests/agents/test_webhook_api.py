"""The webhook API: broker only, secrets only in create answers, replay and test send."""

import pytest
from rest_framework.test import APIClient

from agents.choices import WebhookDeliveryStatus
from agents.models import IncomingWebhook, WebhookDelivery, WebhookSubscription
from clients.models import LeadSource
from tests.agents.webhook_world import (
    PUBLIC_URL,
    build_webhook_world,
    make_delivery,
    make_other_broker,
)

pytestmark = pytest.mark.django_db

BASE = "/api/v1/webhooks"
NOT_BROKERS = ("agent", "colleague", "assistant", "viewer", "stranger")


@pytest.fixture
def world(personas):
    return build_webhook_world(personas.brokerage, personas.broker.user)


def endpoints(w):
    """(method, url) of every webhook endpoint, with the world's objects."""
    sub = f"{BASE}/subscriptions/{w.subscription.pk}/"
    delivery = f"{BASE}/deliveries/{w.dead.pk}/"
    incoming = f"{BASE}/incoming/{w.incoming.pk}/"
    return [
        ("get", f"{BASE}/subscriptions/"),
        ("post", f"{BASE}/subscriptions/"),
        ("get", sub),
        ("patch", sub),
        ("delete", sub),
        ("post", f"{sub}test/"),
        ("post", f"{sub}rotate-secret/"),
        ("get", f"{BASE}/deliveries/"),
        ("get", delivery),
        ("post", f"{delivery}replay/"),
        ("post", f"{BASE}/deliveries/replay-dead/"),
        ("get", f"{BASE}/incoming/"),
        ("post", f"{BASE}/incoming/"),
        ("get", incoming),
        ("get", f"{incoming}log/"),
    ]


def state(w):
    subscription = WebhookSubscription.objects.get(pk=w.subscription.pk)
    return (
        subscription.secret,
        subscription.url,
        list(WebhookDelivery.objects.order_by("pk").values_list("pk", "status")),
        IncomingWebhook.objects.count(),
    )


@pytest.mark.parametrize("name", NOT_BROKERS)
def test_people_who_are_not_the_broker_get_403_and_change_nothing(api_for, world, name):
    client = api_for(name)
    before = state(world)
    for method, url in endpoints(world):
        response = getattr(client, method)(url, {"url": PUBLIC_URL, "name": "x"}, format="json")
        assert response.status_code == 403, (method, url)
    assert state(world) == before


def test_anonymous_callers_get_401(api_for, world):
    client = api_for("anonymous")
    for method, url in endpoints(world):
        assert getattr(client, method)(url).status_code == 401, (method, url)


def test_a_broker_of_another_brokerage_gets_404_for_our_objects(personas, world, queued_tasks):
    client = APIClient()
    client.force_authenticate(make_other_broker(personas.other_brokerage).user)
    before = state(world)
    for method, url in endpoints(world):
        if url.rstrip("/").split("/")[-1].isdigit() or url.endswith(
            ("test/", "rotate-secret/", "/replay/", "log/")
        ):
            assert getattr(client, method)(url).status_code == 404, (method, url)
    assert client.get(f"{BASE}/subscriptions/").json()["results"] == []
    assert client.get(f"{BASE}/deliveries/").json()["results"] == []
    assert client.get(f"{BASE}/incoming/").json()["results"] == []
    assert client.post(f"{BASE}/deliveries/replay-dead/").json() == {"replayed": 0}
    assert state(world) == before


def test_the_secret_is_only_in_the_create_answer(api_for, personas):
    client = api_for("broker")
    response = client.post(
        f"{BASE}/subscriptions/",
        {"url": PUBLIC_URL, "events": ["deal.closed"], "description": "Accounting"},
        format="json",
    )
    assert response.status_code == 201
    created = response.json()
    subscription = WebhookSubscription.objects.get(pk=created["id"])
    assert created["secret"] == subscription.secret
    assert subscription.brokerage == personas.brokerage
    assert subscription.created_by == personas.broker.user
    detail = client.get(f"{BASE}/subscriptions/{subscription.pk}/").json()
    assert "secret" not in detail and detail["events"] == ["deal.closed"]
    listing = client.get(f"{BASE}/subscriptions/").json()["results"]
    assert all("secret" not in row for row in listing)


def test_a_private_address_or_unknown_event_is_a_field_error(api_for, world):
    client = api_for("broker")
    response = client.post(f"{BASE}/subscriptions/", {"url": "http://127.0.0.1/x"}, format="json")
    assert response.status_code == 400 and "url" in response.json()
    response = client.post(
        f"{BASE}/subscriptions/", {"url": PUBLIC_URL, "events": ["nope"]}, format="json"
    )
    assert response.status_code == 400 and "events" in response.json()
    response = client.patch(
        f"{BASE}/subscriptions/{world.subscription.pk}/",
        {"url": "http://[::1]/x"},
        format="json",
    )
    assert response.status_code == 400 and "url" in response.json()
    world.subscription.refresh_from_db()
    assert world.subscription.url == PUBLIC_URL


def test_updating_rotating_and_deleting_a_subscription(api_for, world):
    client = api_for("broker")
    url = f"{BASE}/subscriptions/{world.subscription.pk}/"
    response = client.patch(url, {"is_active": False, "events": []}, format="json")
    assert response.status_code == 200 and response.json()["is_active"] is False
    rotated = client.post(f"{url}rotate-secret/").json()["secret"]
    world.subscription.refresh_from_db()
    assert rotated == world.subscription.secret != world.secret
    assert client.delete(url).status_code == 204
    assert not WebhookSubscription.objects.exists()


def test_test_send_queues_a_test_delivery(api_for, world, queued_tasks):
    response = api_for("broker").post(f"{BASE}/subscriptions/{world.subscription.pk}/test/")
    assert response.status_code == 201
    assert response.json()["event_name"] == "webhook.test"
    assert response.json()["status"] == "pending"


def test_deliveries_are_listed_filtered_by_status_and_shown_with_attempts(api_for, world):
    client = api_for("broker")
    rows = client.get(f"{BASE}/deliveries/", {"status": "dead"}).json()["results"]
    assert [row["id"] for row in rows] == [world.dead.pk]
    detail = client.get(f"{BASE}/deliveries/{world.dead.pk}/").json()
    assert detail["body"] == world.dead.body
    assert [a["status_code"] for a in detail["attempt_log"]] == [500]


def test_replaying_one_and_every_dead_letter(api_for, world, queued_tasks):
    client = api_for("broker")
    more = make_delivery(world.subscription, status=WebhookDeliveryStatus.DEAD, message_id="m2")
    assert client.post(f"{BASE}/deliveries/{world.dead.pk}/replay/").json() == {"replayed": 1}
    world.dead.refresh_from_db()
    assert world.dead.status == WebhookDeliveryStatus.PENDING
    assert client.post(f"{BASE}/deliveries/replay-dead/").json() == {"replayed": 1}
    more.refresh_from_db()
    assert more.status == WebhookDeliveryStatus.PENDING


def test_incoming_endpoints_are_created_with_a_secret_once_and_their_log_listed(
    api_for, personas, world
):
    client = api_for("broker")
    source = LeadSource.objects.create(brokerage=personas.brokerage, name="Zillow")
    response = client.post(
        f"{BASE}/incoming/",
        {"name": "Zillow", "kind": "leads", "lead_source": source.pk},
        format="json",
    )
    assert response.status_code == 201
    created = response.json()
    hook = IncomingWebhook.objects.get(pk=created["id"])
    assert created["secret"] == hook.secret and hook.lead_source == source
    assert created["hook_url"].endswith(f"/hooks/leads/{hook.token}/")
    assert "secret" not in client.get(f"{BASE}/incoming/{hook.pk}/").json()
    log = client.get(f"{BASE}/incoming/{world.incoming.pk}/log/").json()["results"]
    assert [row["message_id"] for row in log] == [world.log.message_id]
    duplicate = client.post(f"{BASE}/incoming/", {"name": "Zillow", "kind": "leads"}, format="json")
    assert duplicate.status_code == 400


def test_another_brokerages_lead_source_is_refused(api_for, personas):
    theirs = LeadSource.objects.create(brokerage=personas.other_brokerage, name="Theirs")
    response = api_for("broker").post(
        f"{BASE}/incoming/", {"name": "x", "kind": "leads", "lead_source": theirs.pk}, format="json"
    )
    assert response.status_code == 400 and "lead_source" in response.json()


@pytest.mark.parametrize(
    ("path", "queries"), [("subscriptions/", 2), ("deliveries/", 2), ("incoming/", 2)]
)
def test_list_endpoints_take_a_fixed_number_of_queries(
    api_for, personas, world, django_assert_num_queries, path, queries
):
    client = api_for("broker")
    with django_assert_num_queries(queries):
        assert client.get(f"{BASE}/{path}").status_code == 200
    for number in range(3):
        build_webhook_world(personas.brokerage, personas.broker.user, mark=f"more{number}")
    with django_assert_num_queries(queries):
        assert client.get(f"{BASE}/{path}").status_code == 200
