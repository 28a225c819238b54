"""The broker's webhook pages: who may see them, what each one does, and their query counts."""

import pytest
from django.urls import reverse

from agents.choices import WebhookDeliveryStatus
from agents.models import (
    IncomingWebhook,
    IncomingWebhookLog,
    WebhookDelivery,
    WebhookSubscription,
)
from tests.agents.webhook_world import (
    PUBLIC_URL,
    build_webhook_world,
    make_delivery,
    make_other_broker,
)

pytestmark = pytest.mark.django_db

NOT_BROKERS = ("agent", "colleague", "assistant", "viewer", "stranger")


@pytest.fixture
def world(personas):
    return build_webhook_world(personas.brokerage, personas.broker.user)


def page_urls(w):
    return [
        reverse("webhooks:list"),
        reverse("webhooks:create"),
        reverse("webhooks:detail", args=[w.subscription.pk]),
        reverse("webhooks:edit", args=[w.subscription.pk]),
        reverse("webhooks:delivery", args=[w.dead.pk]),
        reverse("webhooks:dead"),
        reverse("webhooks:incoming-create"),
        reverse("webhooks:incoming-detail", args=[w.incoming.pk]),
    ]


def action_urls(w):
    return [
        reverse("webhooks:delete", args=[w.subscription.pk]),
        reverse("webhooks:test", args=[w.subscription.pk]),
        reverse("webhooks:rotate-secret", args=[w.subscription.pk]),
        reverse("webhooks:delivery-replay", args=[w.dead.pk]),
        reverse("webhooks:dead-replay"),
    ]


def state(w):
    subscription = WebhookSubscription.objects.get(pk=w.subscription.pk)
    return (
        subscription.secret,
        subscription.url,
        list(WebhookDelivery.objects.order_by("pk").values_list("pk", "status")),
        IncomingWebhook.objects.count(),
    )


def test_the_broker_sees_every_webhook_page(client_for, world):
    client = client_for("broker")
    for url in page_urls(world):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("name", NOT_BROKERS)
def test_people_who_are_not_the_broker_get_403_or_404_and_change_nothing(
    client_for, world, name, queued_tasks
):
    client = client_for(name)
    before = state(world)
    for url in page_urls(world):
        assert client.get(url).status_code in (403, 404), url
        assert client.post(url, {"url": "https://93.184.216.34/x"}).status_code in (403, 404), url
    for url in action_urls(world):
        assert client.post(url).status_code in (403, 404), url
    assert state(world) == before


def test_anonymous_visitors_are_sent_to_sign_in(client_for, world):
    client = client_for("anonymous")
    for url in page_urls(world) + action_urls(world):
        response = client.post(url) if url in action_urls(world) else client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url


def test_a_broker_of_another_brokerage_finds_nothing_of_ours(client, personas, world):
    client.force_login(make_other_broker(personas.other_brokerage).user)
    before = state(world)
    object_pages = [
        reverse("webhooks:detail", args=[world.subscription.pk]),
        reverse("webhooks:edit", args=[world.subscription.pk]),
        reverse("webhooks:delivery", args=[world.dead.pk]),
        reverse("webhooks:incoming-detail", args=[world.incoming.pk]),
    ]
    for url in object_pages:
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code in (404, 405), url
    for url in action_urls(world)[:-1]:
        assert client.post(url).status_code == 404, url
    for url in (reverse("webhooks:list"), reverse("webhooks:dead")):
        body = client.get(url).content.decode()
        assert world.subscription.url not in body and world.dead.message_id not in body
    assert client.post(reverse("webhooks:dead-replay")).status_code == 302
    assert state(world) == before


def test_the_broker_menu_links_to_webhooks_for_brokers_only(client_for, world):
    link = reverse("webhooks:list")
    assert link in client_for("broker").get(reverse("dashboard")).content.decode()
    assert link not in client_for("agent").get(reverse("dashboard")).content.decode()


def test_creating_a_subscription_shows_its_secret_once(client_for, personas):
    client = client_for("broker")
    response = client.post(
        reverse("webhooks:create"),
        {"url": "https://93.184.216.34/new", "events": ["deal.closed", "client.created"]},
    )
    assert response.status_code == 200
    subscription = WebhookSubscription.objects.get(url="https://93.184.216.34/new")
    assert subscription.brokerage == personas.brokerage
    assert subscription.events == ["deal.closed", "client.created"]
    assert subscription.secret.startswith("whsec_")
    assert subscription.secret in response.content.decode()
    for url in (reverse("webhooks:detail", args=[subscription.pk]), reverse("webhooks:list")):
        assert subscription.secret not in client.get(url).content.decode()
    edit = client.get(reverse("webhooks:edit", args=[subscription.pk])).content.decode()
    assert subscription.secret not in edit


def test_a_private_address_is_refused_next_to_the_field_and_the_input_kept(client_for):
    response = client_for("broker").post(
        reverse("webhooks:create"),
        {
            "url": "http://169.254.169.254/latest",
            "description": "Metadata",
            "events": ["deal.closed"],
        },
    )
    assert response.status_code == 200
    assert "url" in response.context["form"].errors
    body = response.content.decode()
    assert "Metadata" in body and "169.254.169.254" in body
    assert not WebhookSubscription.objects.exists()


def test_editing_a_subscription_saves_through_the_service(client_for, world):
    response = client_for("broker").post(
        reverse("webhooks:edit", args=[world.subscription.pk]),
        {"url": PUBLIC_URL + "/v2", "description": "Renamed", "events": ["deal.closed"]},
    )
    assert response.status_code == 302
    world.subscription.refresh_from_db()
    assert world.subscription.url == PUBLIC_URL + "/v2"
    assert world.subscription.events == ["deal.closed"]
    assert world.subscription.is_active is False  # the box was not ticked


def test_editing_to_a_private_address_is_refused(client_for, world):
    response = client_for("broker").post(
        reverse("webhooks:edit", args=[world.subscription.pk]),
        {"url": "http://10.0.0.8/hook", "is_active": "on"},
    )
    assert response.status_code == 200
    assert "url" in response.context["form"].errors
    world.subscription.refresh_from_db()
    assert world.subscription.url == PUBLIC_URL


def test_rotating_the_secret_shows_the_new_one_once(client_for, world):
    response = client_for("broker").post(
        reverse("webhooks:rotate-secret", args=[world.subscription.pk])
    )
    world.subscription.refresh_from_db()
    assert world.subscription.secret != world.secret
    assert world.subscription.secret in response.content.decode()


def test_test_send_queues_a_test_delivery(client_for, world, queued_tasks):
    response = client_for("broker").post(reverse("webhooks:test", args=[world.subscription.pk]))
    assert response.status_code == 302
    test = WebhookDelivery.objects.get(is_test=True)
    assert test.event_name == "webhook.test" and test.status == WebhookDeliveryStatus.PENDING


def test_deleting_a_subscription_removes_it(client_for, world):
    response = client_for("broker").post(reverse("webhooks:delete", args=[world.subscription.pk]))
    assert response.status_code == 302
    assert not WebhookSubscription.objects.exists()
    assert not WebhookDelivery.objects.exists()


def test_the_delivery_log_shows_status_code_attempts_and_filters(client_for, world):
    client = client_for("broker")
    url = reverse("webhooks:detail", args=[world.subscription.pk])
    body = client.get(url).content.decode()
    assert world.dead.message_id in body and world.delivered.message_id in body
    dead_only = client.get(url, {"status": "dead"}).content.decode()
    assert world.dead.message_id in dead_only and world.delivered.message_id not in dead_only
    detail = client.get(reverse("webhooks:delivery", args=[world.dead.pk])).content.decode()
    assert (
        "500" in detail and "12 ms" in detail and world.dead.body.replace('"', "&quot;") in detail
    )


def test_replaying_one_and_all_dead_letters(client_for, world, queued_tasks):
    client = client_for("broker")
    other_dead = make_delivery(
        world.subscription, status=WebhookDeliveryStatus.DEAD, message_id="msg_dead_2"
    )
    assert world.dead.message_id in client.get(reverse("webhooks:dead")).content.decode()
    client.post(reverse("webhooks:delivery-replay", args=[world.dead.pk]))
    world.dead.refresh_from_db()
    assert world.dead.status == WebhookDeliveryStatus.PENDING and world.dead.attempts == 0
    client.post(reverse("webhooks:dead-replay"))
    other_dead.refresh_from_db()
    assert other_dead.status == WebhookDeliveryStatus.PENDING
    assert not WebhookDelivery.objects.filter(status=WebhookDeliveryStatus.DEAD).exists()
    world.delivered.refresh_from_db()
    assert world.delivered.status == WebhookDeliveryStatus.SUCCEEDED


def test_creating_an_incoming_endpoint_shows_its_address_and_secret_once(client_for, personas):
    client = client_for("broker")
    response = client.post(
        reverse("webhooks:incoming-create"), {"name": "Realtor.com", "kind": "leads"}
    )
    assert response.status_code == 200
    hook = IncomingWebhook.objects.get(name="Realtor.com")
    body = response.content.decode()
    assert hook.secret in body and str(hook.token) in body
    log_page = client.get(reverse("webhooks:incoming-detail", args=[hook.pk])).content.decode()
    assert hook.secret not in log_page and str(hook.token) in log_page


def test_an_incoming_endpoint_name_is_unique_in_the_brokerage(client_for, world):
    response = client_for("broker").post(
        reverse("webhooks:incoming-create"), {"name": world.incoming.name, "kind": "leads"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert IncomingWebhook.objects.count() == 1


def test_the_incoming_log_lists_requests(client_for, world):
    body = (
        client_for("broker")
        .get(reverse("webhooks:incoming-detail", args=[world.incoming.pk]))
        .content.decode()
    )
    assert world.log.message_id in body and "Refused" in body


def more_rows(personas, world, count):
    for number in range(count):
        make_delivery(
            world.subscription,
            status=WebhookDeliveryStatus.DEAD,
            message_id=f"msg_more_{number}",
        )
        build_webhook_world(personas.brokerage, personas.broker.user, mark=f"more{number}")
        IncomingWebhookLog.objects.create(
            webhook=world.incoming, status_code=201, verified=True, message_id=f"msg_{number}"
        )


@pytest.mark.parametrize(
    ("route", "queries"),
    [("list", 5), ("detail", 6), ("dead", 6), ("incoming-detail", 6)],
)
def test_list_pages_take_a_fixed_number_of_queries(
    client_for, personas, world, django_assert_num_queries, route, queries
):
    client = client_for("broker")
    args = {"detail": [world.subscription.pk], "incoming-detail": [world.incoming.pk]}.get(
        route, []
    )
    url = reverse(f"webhooks:{route}", args=args)
    client.get(url)  # the session and the actor are loaded once either way
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    more_rows(personas, world, 3)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
