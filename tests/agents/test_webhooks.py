"""Outgoing webhooks delivered to a real local HTTP server that checks their signatures, and
incoming lead webhooks checked and taken in once."""

import json
import socket
import time
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from requests.structures import CaseInsensitiveDict

from agents.choices import EventName, IncomingWebhookKind, WebhookDeliveryStatus
from agents.models import IncomingWebhookLog, WebhookAttempt, WebhookDelivery
from agents.services.events import event_record, events_dispatch
from agents.services.webhooks import (
    MAX_ATTEMPTS,
    RETRY_SCHEDULE,
    SEND_LEASE,
    incoming_endpoint_create,
    webhook_deliveries_queue_due,
    webhook_delivery_replay,
    webhook_delivery_send,
    webhook_subscription_create,
    webhook_subscription_secret_rotate,
    webhook_subscription_update,
    webhook_test_send,
)
from agents.tasks import webhook_deliveries_due_task
from clients.models import Client, LeadSource
from clients.services.schedules import PERIODIC_JOBS
from realestate.webhooks import SignatureInvalid, signed_headers, verify
from tests.mls.conftest import Reply, ScriptedServer

pytestmark = pytest.mark.django_db

HOOK = "/hook"


@pytest.fixture
def receiver():
    """A local HTTP server that receives webhooks (started in a thread, stopped after)."""
    server = ScriptedServer()
    yield server
    server.stop()


@pytest.fixture
def local_receiving(settings):
    """Deliveries may reach the local receiving server (a private address)."""
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True


def verifying(secret, status=200):
    """A reply that checks the request's signature as a receiver would: 401 when it fails."""

    def reply(request):
        try:
            verify(secret=secret, headers=CaseInsensitiveDict(request.headers), body=request.body)
        except SignatureInvalid as error:
            return Reply(status=401, json={"error": str(error)})
        return Reply(status=status, json={"ok": True})

    return reply


def subscribe(personas, url, events=()):
    return webhook_subscription_create(
        brokerage=personas.brokerage, url=url, events=events, actor=personas.broker.user
    )


def dispatch(personas, capture, name=EventName.CLIENT_CREATED, payload=None, subject=None):
    """Record an event and dispatch it as the committed-events task would."""
    event = event_record(
        brokerage=personas.brokerage,
        name=name,
        subject=subject,
        payload={"name": "Ada"} if payload is None else payload,
    )
    with capture(execute=True):
        events_dispatch(event_ids=[event.pk])
    return event


# ---------- delivery ----------


def test_event_is_posted_signed_to_the_subscription_and_marked_delivered(
    personas, receiver, local_receiving, django_capture_on_commit_callbacks
):
    created = subscribe(personas, receiver.url(HOOK))
    receiver.script(HOOK, verifying(created.secret))

    event = dispatch(
        personas,
        django_capture_on_commit_callbacks,
        payload={"name": "Ada"},
        subject=personas.agent,
    )

    [request] = receiver.requests_to(HOOK)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDeliveryStatus.SUCCEEDED
    assert delivery.attempts == 1 and delivery.last_status_code == 200
    assert delivery.next_attempt_at is None and delivery.delivered_at is not None
    assert request.body.decode() == delivery.body
    headers = CaseInsensitiveDict(request.headers)
    assert headers["webhook-id"] == f"msg_{event.uid}"
    assert headers["content-type"] == "application/json"
    envelope = json.loads(request.body)
    assert envelope["id"] == f"msg_{event.uid}"
    assert envelope["type"] == "client.created"
    assert envelope["timestamp"] == event.occurred_at.isoformat()
    assert envelope["data"] == {
        "name": "Ada",
        "subject": {"type": "agents.agent", "id": str(personas.agent.pk)},
    }
    [attempt] = WebhookAttempt.objects.all()
    assert attempt.status_code == 200 and attempt.error == ""
    assert '"ok"' in attempt.response_excerpt


def test_a_failed_delivery_is_retried_with_backoff_then_succeeds(
    personas, receiver, local_receiving, django_capture_on_commit_callbacks
):
    created = subscribe(personas, receiver.url(HOOK))
    receiver.script(
        HOOK,
        Reply(status=500, body=b"database down"),
        Reply(status=503),
        verifying(created.secret),
    )
    before = timezone.now()
    dispatch(personas, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDeliveryStatus.RETRYING
    assert delivery.attempts == 1 and delivery.last_status_code == 500
    assert before + RETRY_SCHEDULE[0] <= delivery.next_attempt_at
    assert delivery.next_attempt_at <= timezone.now() + RETRY_SCHEDULE[0]
    assert WebhookAttempt.objects.get().response_excerpt == "database down"

    # Not due yet: the beat job leaves it alone.
    assert webhook_deliveries_queue_due(now=timezone.now()) == 0
    assert len(receiver.requests_to(HOOK)) == 1

    second = delivery.next_attempt_at
    assert webhook_delivery_send(delivery_id=delivery.pk, now=second).status_code == 503
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.next_attempt_at == second + RETRY_SCHEDULE[1]

    # The beat job sends it once it is due (the task runs eagerly here).
    assert webhook_deliveries_queue_due(now=delivery.next_attempt_at) == 1
    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.SUCCEEDED
    assert delivery.attempts == 3
    requests = receiver.requests_to(HOOK)
    assert len(requests) == 3
    # The same message each time, signed afresh.
    assert {CaseInsensitiveDict(r.headers)["webhook-id"] for r in requests} == {delivery.message_id}
    assert {r.body for r in requests} == {delivery.body.encode()}
    assert list(WebhookAttempt.objects.order_by("pk").values_list("status_code", flat=True)) == [
        500,
        503,
        200,
    ]


def test_a_delivery_failing_every_attempt_becomes_a_dead_letter_and_replay_delivers_it(
    personas, receiver, local_receiving, django_capture_on_commit_callbacks
):
    created = subscribe(personas, receiver.url(HOOK))
    receiver.script(HOOK, Reply(status=502))
    dispatch(personas, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    waits = []
    while delivery.status == WebhookDeliveryStatus.RETRYING:
        previous = delivery.next_attempt_at
        webhook_delivery_send(delivery_id=delivery.pk, now=previous)
        delivery.refresh_from_db()
        if delivery.next_attempt_at:
            waits.append(delivery.next_attempt_at - previous)
    assert delivery.status == WebhookDeliveryStatus.DEAD
    assert delivery.attempts == MAX_ATTEMPTS
    assert delivery.next_attempt_at is None
    assert waits == list(RETRY_SCHEDULE[1:])
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == MAX_ATTEMPTS
    assert len(receiver.requests_to(HOOK)) == MAX_ATTEMPTS
    # A dead letter is not sent again by the beat job.
    assert webhook_deliveries_queue_due(now=timezone.now() + timedelta(days=30)) == 0

    receiver.script(HOOK, verifying(created.secret))
    with django_capture_on_commit_callbacks(execute=True):
        webhook_delivery_replay(delivery=delivery, actor=personas.broker.user)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.SUCCEEDED
    assert delivery.attempts == 1
    assert len(receiver.requests_to(HOOK)) == MAX_ATTEMPTS + 1


def test_test_send_posts_a_webhook_test_message_once(
    personas, receiver, local_receiving, django_capture_on_commit_callbacks
):
    created = subscribe(personas, receiver.url(HOOK), events=[EventName.DEAL_CLOSED])
    receiver.script(HOOK, verifying(created.secret))
    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhook_test_send(subscription=created.subscription, actor=personas.broker.user)
    delivery.refresh_from_db()
    assert delivery.is_test and delivery.status == WebhookDeliveryStatus.SUCCEEDED
    [request] = receiver.requests_to(HOOK)
    envelope = json.loads(request.body)
    assert envelope["type"] == "webhook.test"
    assert envelope["data"]["subscription"] == created.subscription.pk

    # A failing test send is not retried: its result is what the broker wants to see.
    receiver.script(HOOK, Reply(status=404))
    with django_capture_on_commit_callbacks(execute=True):
        failed = webhook_test_send(subscription=created.subscription, actor=personas.broker.user)
    failed.refresh_from_db()
    assert failed.status == WebhookDeliveryStatus.DEAD and failed.last_status_code == 404


def test_a_redirect_is_not_followed(
    personas, receiver, local_receiving, django_capture_on_commit_callbacks
):
    subscribe(personas, receiver.url(HOOK))
    receiver.script(HOOK, Reply(status=302, headers={"Location": receiver.url("/elsewhere")}))
    receiver.script("/elsewhere", Reply(status=200))
    dispatch(personas, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDeliveryStatus.RETRYING
    assert "redirect" in delivery.last_error
    assert receiver.requests_to("/elsewhere") == []


def test_a_rotated_secret_signs_the_next_deliveries(
    personas, receiver, local_receiving, django_capture_on_commit_callbacks
):
    created = subscribe(personas, receiver.url(HOOK))
    secret = webhook_subscription_secret_rotate(
        subscription=created.subscription, actor=personas.broker.user
    )
    assert secret != created.secret
    receiver.script(HOOK, verifying(secret))
    dispatch(personas, django_capture_on_commit_callbacks)
    assert WebhookDelivery.objects.get().status == WebhookDeliveryStatus.SUCCEEDED


# ---------- fan-out ----------


def test_dispatching_the_same_event_twice_makes_one_delivery(
    personas, receiver, local_receiving, django_capture_on_commit_callbacks
):
    created = subscribe(personas, receiver.url(HOOK))
    receiver.script(HOOK, verifying(created.secret))
    event = dispatch(personas, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        events_dispatch(event_ids=[event.pk])
    assert WebhookDelivery.objects.count() == 1
    assert len(receiver.requests_to(HOOK)) == 1


def test_only_active_subscriptions_wanting_the_event_get_a_delivery(
    personas, django_capture_on_commit_callbacks, queued_tasks
):
    every = subscribe(personas, "https://93.184.216.34/every")
    deals = subscribe(personas, "https://93.184.216.34/deals", events=[EventName.DEAL_CLOSED])
    clients = subscribe(
        personas, "https://93.184.216.34/clients", events=[EventName.CLIENT_CREATED]
    )
    off = subscribe(personas, "https://93.184.216.34/off")
    webhook_subscription_update(
        subscription=off.subscription, data={"is_active": False}, actor=personas.broker.user
    )
    other = webhook_subscription_create(
        brokerage=personas.other_brokerage,
        url="https://93.184.216.34/other",
        actor=_broker_of(personas.other_brokerage),
    )
    dispatch(personas, django_capture_on_commit_callbacks, name=EventName.CLIENT_CREATED)
    assert set(WebhookDelivery.objects.values_list("subscription", flat=True)) == {
        every.subscription.pk,
        clients.subscription.pk,
    }
    assert deals.subscription.deliveries.count() == 0
    assert other.subscription.deliveries.count() == 0


def _broker_of(brokerage):
    from agents.choices import Role
    from tests.testing.factories import make_agent

    return make_agent(brokerage, Role.BROKER, username=f"broker-{brokerage.pk}").user


# ---------- one sender at a time ----------


def test_a_delivery_is_claimed_by_one_sender_only(personas, queued_tasks):
    created = subscribe(personas, "https://93.184.216.34/hook")
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(
        subscription=created.subscription,
        message_id="msg_x",
        event_name="client.created",
        body="{}",
        next_attempt_at=now,
    )
    # Another worker claimed it first: its lease moves the next attempt past now.
    claimed = WebhookDelivery.objects.filter(pk=delivery.pk, next_attempt_at__lte=now).update(
        next_attempt_at=now + SEND_LEASE
    )
    assert claimed == 1
    assert webhook_delivery_send(delivery_id=delivery.pk, now=now) is None
    assert not WebhookAttempt.objects.exists()


def test_the_beat_job_queues_a_due_delivery_once_while_it_waits_for_a_worker(
    personas, queued_tasks
):
    created = subscribe(personas, "https://93.184.216.34/hook")
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(
        subscription=created.subscription,
        message_id="msg_x",
        event_name="client.created",
        body="{}",
        status=WebhookDeliveryStatus.RETRYING,
        next_attempt_at=now - timedelta(minutes=1),
    )
    assert webhook_deliveries_queue_due(now=now) == 1
    assert webhook_deliveries_queue_due(now=now + timedelta(minutes=1)) == 0
    delivery.refresh_from_db()
    lease = delivery.next_attempt_at
    assert lease > now
    # A stale task (its lease replaced) sends nothing.
    assert (
        webhook_delivery_send(delivery_id=delivery.pk, lease=lease - timedelta(seconds=1)) is None
    )


def test_the_beat_task_sends_the_due_deliveries(
    personas, receiver, local_receiving, django_capture_on_commit_callbacks
):
    created = subscribe(personas, receiver.url(HOOK))
    receiver.script(HOOK, Reply(status=500), verifying(created.secret))
    dispatch(personas, django_capture_on_commit_callbacks)
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert webhook_deliveries_due_task.apply().get() == 1
    assert WebhookDelivery.objects.get().status == WebhookDeliveryStatus.SUCCEEDED


def test_the_due_deliveries_job_runs_every_minute():
    task, kwargs, when = PERIODIC_JOBS["Webhooks: send the deliveries due for a retry"]
    assert task == "agents.tasks.webhook_deliveries_due_task"
    assert when == {"every": 1}


# ---------- addresses (SSRF) ----------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://192.168.0.10/hook",
        "http://[::ffff:127.0.0.1]/hook",
    ],
)
def test_a_private_address_is_refused(personas, url):
    with pytest.raises(ValidationError) as caught:
        subscribe(personas, url)
    assert "url" in caught.value.message_dict


def test_a_host_name_resolving_to_loopback_is_refused(personas, monkeypatch):
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host == "hooks.example.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 0))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(ValidationError) as caught:
        subscribe(personas, "https://hooks.example.test/hook")
    assert "127.0.0.1" in caught.value.message_dict["url"][0]


@pytest.mark.parametrize("url", ["ftp://93.184.216.34/x", "file:///etc/passwd", "https:///x"])
def test_only_http_and_https_addresses_are_accepted(personas, url):
    with pytest.raises(ValidationError):
        subscribe(personas, url)


def test_a_host_that_turns_private_after_it_was_accepted_is_refused_when_sending(
    personas, receiver, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """DNS rebinding: the address is checked again when each delivery connects."""
    real = socket.getaddrinfo
    answers = {"rebind.example.test": "93.184.216.34"}

    def resolve(host, *args, **kwargs):
        if host in answers:
            port = args[0] if args else 0
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port or 0))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    subscribe(personas, f"http://rebind.example.test:{receiver.port}{HOOK}")
    answers["rebind.example.test"] = "127.0.0.1"
    receiver.script(HOOK, Reply(status=200))
    dispatch(personas, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDeliveryStatus.RETRYING
    assert delivery.last_status_code is None
    assert "127.0.0.1" in delivery.last_error
    assert receiver.requests_to(HOOK) == []


def test_with_the_setting_off_the_local_receiver_is_never_reached(
    personas, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    subscribe(personas, receiver.url(HOOK))
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    receiver.script(HOOK, Reply(status=200))
    dispatch(personas, django_capture_on_commit_callbacks)
    assert WebhookDelivery.objects.get().status == WebhookDeliveryStatus.RETRYING
    assert receiver.requests_to(HOOK) == []


# ---------- who may manage ----------


@pytest.mark.parametrize("name", ["agent", "assistant", "viewer", "stranger"])
def test_only_a_broker_of_the_brokerage_manages_subscriptions(personas, name):
    with pytest.raises(PermissionDenied):
        webhook_subscription_create(
            brokerage=personas.brokerage,
            url="https://93.184.216.34/hook",
            actor=personas.user(name),
        )


def test_unknown_events_are_refused(personas):
    with pytest.raises(ValidationError) as caught:
        subscribe(personas, "https://93.184.216.34/hook", events=["client.exploded"])
    assert "events" in caught.value.message_dict


# ---------- incoming lead webhooks ----------


@pytest.fixture
def lead_hook(personas):
    source = LeadSource.objects.create(brokerage=personas.brokerage, name="Zillow")
    return incoming_endpoint_create(
        brokerage=personas.brokerage,
        name="Zillow leads",
        kind=IncomingWebhookKind.LEADS,
        lead_source=source,
        actor=personas.broker.user,
    )


def post_lead(client, hook, data, *, secret=None, message_id=None, timestamp=None):
    body = json.dumps(data) if not isinstance(data, bytes) else data
    headers = signed_headers(
        secret=secret or hook.secret,
        message_id=message_id or f"msg_{uuid.uuid4().hex}",
        body=body,
        timestamp=timestamp,
    )
    return client.post(
        f"/hooks/leads/{hook.token}/",
        data=body,
        content_type="application/json",
        headers=headers,
        REMOTE_ADDR="203.0.113.9",
    )


LEAD = {"first_name": "Lena", "last_name": "Hook", "email": "lena@example.com", "message": "Hi"}


def test_a_signed_lead_creates_a_client_under_the_endpoints_source(client, lead_hook):
    response = post_lead(client, lead_hook, LEAD)
    assert response.status_code == 201
    assert response.json()["status"] == "received"
    lead = Client.objects.get(email="lena@example.com")
    assert lead.source == lead_hook.lead_source
    assert lead.brokerage == lead_hook.brokerage
    [log] = IncomingWebhookLog.objects.all()
    assert log.verified and log.status_code == 201
    assert log.remote_addr == "203.0.113.9"


def test_a_bad_signature_is_refused_with_401_and_logged(client, lead_hook):
    other_secret = incoming_endpoint_create(
        brokerage=lead_hook.brokerage,
        name="Other",
        kind=IncomingWebhookKind.LEADS,
        actor=_broker_of(lead_hook.brokerage),
    ).secret
    response = post_lead(client, lead_hook, LEAD, secret=other_secret)
    assert response.status_code == 401
    assert "signature" in response.json()["error"]
    assert not Client.objects.exists()
    [log] = IncomingWebhookLog.objects.all()
    assert not log.verified and log.status_code == 401 and log.webhook == lead_hook


def test_a_stale_timestamp_is_refused(client, lead_hook):
    response = post_lead(client, lead_hook, LEAD, timestamp=time.time() - 10 * 60)
    assert response.status_code == 401
    assert not Client.objects.exists()
    assert IncomingWebhookLog.objects.get().status_code == 401


def test_a_replayed_message_id_creates_one_lead(client, lead_hook):
    first = post_lead(client, lead_hook, LEAD, message_id="msg_same")
    again = post_lead(client, lead_hook, LEAD, message_id="msg_same")
    assert first.status_code == 201
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert Client.objects.count() == 1
    assert list(
        IncomingWebhookLog.objects.order_by("pk").values_list("status_code", flat=True)
    ) == [201, 200]
    # The lead's timeline has one inquiry, not two.
    assert Client.objects.get().activities.filter(details__intake=True).count() == 1


def test_bad_lead_data_answers_field_errors_and_is_logged(client, lead_hook):
    response = post_lead(client, lead_hook, {"first_name": "No contact"})
    assert response.status_code == 400
    assert "__all__" in response.json()["errors"]
    response = post_lead(client, lead_hook, {"email": "not an email"})
    assert response.status_code == 400
    assert "email" in response.json()["errors"]
    response = post_lead(client, lead_hook, b"[1, 2]")
    assert response.status_code == 400
    assert not Client.objects.exists()
    assert set(IncomingWebhookLog.objects.values_list("status_code", flat=True)) == {400}


def test_an_unknown_token_or_another_kind_of_endpoint_is_404(client, personas, lead_hook):
    events_hook = incoming_endpoint_create(
        brokerage=personas.brokerage,
        name="Mail events",
        kind=IncomingWebhookKind.DELIVERY_EVENTS,
        actor=personas.broker.user,
    )
    assert post_lead(client, events_hook, LEAD).status_code == 404
    lead_hook.token = uuid.uuid4()
    assert post_lead(client, lead_hook, LEAD).status_code == 404
    assert not Client.objects.exists()
    assert client.get(f"/hooks/leads/{events_hook.token}/").status_code == 405


def test_an_endpoint_without_a_source_records_leads_under_its_name(client, personas):
    hook = incoming_endpoint_create(
        brokerage=personas.brokerage,
        name="Open house kiosk",
        kind=IncomingWebhookKind.LEADS,
        actor=personas.broker.user,
    )
    assert post_lead(client, hook, LEAD).status_code == 201
    assert Client.objects.get().source.name == "Open house kiosk"


def test_a_lead_source_of_another_brokerage_is_refused(personas):
    theirs = LeadSource.objects.create(brokerage=personas.other_brokerage, name="Theirs")
    with pytest.raises(ValidationError):
        incoming_endpoint_create(
            brokerage=personas.brokerage,
            name="Mine",
            kind=IncomingWebhookKind.LEADS,
            lead_source=theirs,
            actor=personas.broker.user,
        )


def test_the_database_takes_a_message_in_once_per_endpoint(lead_hook):
    """What settles two copies of one message arriving at the same moment."""
    from django.db import IntegrityError, transaction

    IncomingWebhookLog.objects.create(
        webhook=lead_hook, status_code=201, verified=True, message_id="msg_once"
    )
    IncomingWebhookLog.objects.create(
        webhook=lead_hook, status_code=200, verified=True, message_id="msg_once"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        IncomingWebhookLog.objects.create(
            webhook=lead_hook, status_code=201, verified=True, message_id="msg_once"
        )


def test_a_lead_racing_its_copy_is_answered_as_a_duplicate(client, lead_hook, monkeypatch):
    """The copy that loses the race finds the winner's row and makes no second lead."""
    from agents.services import webhooks

    real_exists_check = webhooks.IncomingWebhookLog.objects.filter

    def not_yet_seen(*args, **kwargs):
        # The first look happens before the other copy committed its lead.
        monkeypatch.setattr(webhooks.IncomingWebhookLog.objects, "filter", real_exists_check)
        IncomingWebhookLog.objects.create(
            webhook=lead_hook, status_code=201, verified=True, message_id="msg_race"
        )
        return IncomingWebhookLog.objects.none()

    monkeypatch.setattr(webhooks.IncomingWebhookLog.objects, "filter", not_yet_seen)
    response = post_lead(client, lead_hook, LEAD, message_id="msg_race")
    assert response.status_code == 200 and response.json()["status"] == "duplicate"
    assert not Client.objects.exists()


def test_each_incoming_endpoint_kind_names_the_path_its_system_posts_to(personas):
    from agents.services.incoming import incoming_webhook_create

    leads = incoming_webhook_create(
        brokerage=personas.brokerage, name="Portal", kind=IncomingWebhookKind.LEADS
    )
    deliveries = incoming_webhook_create(
        brokerage=personas.brokerage, name="Mail", kind=IncomingWebhookKind.DELIVERY_EVENTS
    )
    assert leads.get_hook_url() == f"/hooks/leads/{leads.token}/"
    assert deliveries.get_hook_url() == f"/hooks/outreach/{deliveries.token}/"
