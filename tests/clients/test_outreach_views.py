"""Outreach pages for every persona, the unsubscribe link and the delivery-events endpoint."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agents.choices import IncomingWebhookKind
from agents.models import IncomingWebhookLog
from agents.services.incoming import incoming_webhook_create
from clients.choices import AttemptStatus, CampaignStatus
from clients.models import Campaign, Client, ClientSegment, MessageTemplate, OutreachAttempt
from clients.models.outreach import Suppression
from clients.services.campaigns import campaign_create, campaign_start, campaign_step_add
from clients.services.outreach import segment_create, template_create
from realestate.webhooks import signed_headers
from tests.testing.factories import make_client, make_listing

pytestmark = pytest.mark.django_db

FLAGGED = "Adults only, perfect for a couple."


def url(name, *args):
    return reverse(f"clients:outreach-{name}", args=args)


def make_template(user, name="Hello", body="Hi {{ client.first_name }}"):
    return template_create(
        data={"name": name, "channel": "email", "subject": "Hello", "body": body}, actor=user
    )


@pytest.fixture
def setup(personas):
    user = personas.agent.user
    client = make_client(user, first_name="Ann")
    template = make_template(user)
    segment = segment_create(name="Everyone", query="", actor=user)
    campaign = campaign_create(
        data={"name": "Spring", "segment": segment, "kind": "drip"}, actor=user
    )
    campaign_step_add(campaign=campaign, template=template, delay_hours=0, actor=user)
    return client, template, segment, campaign


# ---------------------------------------------------------------------------------------------
# Personas


@pytest.mark.parametrize(
    ("persona", "template_status", "edit_status", "campaign_status"),
    [
        ("agent", 200, 200, 200),
        ("colleague", 200, 403, 404),
        ("broker", 200, 200, 200),
        ("stranger", 404, 404, 404),
    ],
)
def test_who_sees_templates_and_campaigns(
    client_for, setup, persona, template_status, edit_status, campaign_status
):
    _, template, segment, campaign = setup
    browser = client_for(persona)
    assert browser.get(url("template", template.pk)).status_code == template_status
    assert browser.get(url("template-edit", template.pk)).status_code == edit_status
    assert browser.get(url("campaign", campaign.pk)).status_code == campaign_status
    assert browser.get(url("segment-edit", segment.pk)).status_code == campaign_status


def test_anonymous_visitors_are_sent_to_sign_in(client_for, setup):
    _, template, _, campaign = setup
    browser = client_for("anonymous")
    for address in (url("templates"), url("template", template.pk), url("campaign", campaign.pk)):
        response = browser.get(address)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")


@pytest.mark.parametrize("persona", ["colleague", "stranger", "viewer"])
def test_others_cannot_start_or_change_a_campaign(client_for, setup, persona):
    _, template, _, campaign = setup
    browser = client_for(persona)
    for name in ("campaign-start", "campaign-pause", "campaign-resume", "campaign-delete"):
        assert browser.post(url(name, campaign.pk)).status_code in (403, 404)
    response = browser.post(
        url("campaign-step-add", campaign.pk), {"template": template.pk, "delay_hours": 1}
    )
    assert response.status_code in (403, 404)
    assert browser.post(url("template-delete", template.pk)).status_code in (403, 404)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.steps.count() == 1
    assert not campaign.enrollments.exists()
    assert MessageTemplate.objects.filter(pk=template.pk).exists()


# ---------------------------------------------------------------------------------------------
# Templates


def test_a_template_with_an_unknown_merge_field_keeps_what_was_typed(client_for):
    data = {"name": "Oops", "channel": "email", "subject": "Hi", "body": "{{ client.ssn }} hi"}
    response = client_for("agent").post(url("template-create"), data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Unknown merge field" in content
    assert "{{ client.ssn }} hi" in content
    assert not MessageTemplate.objects.exists()


def test_the_agent_writes_a_template(client_for, personas):
    data = {"name": "Hi", "channel": "text", "subject": "", "body": "Hi {{ client.first_name }}"}
    response = client_for("agent").post(url("template-create"), data)
    template = MessageTemplate.objects.get()
    assert response.status_code == 302
    assert response.url == url("template", template.pk)
    assert template.owner == personas.agent


def test_the_preview_partial_fills_in_a_chosen_client_and_listing(client_for, personas, setup):
    client, template, _, _ = setup
    listing = make_listing(personas.agent.user)
    response = client_for("agent").get(
        url("template-preview", template.pk),
        {"client": client.pk, "listing": listing.pk},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Hi Ann" in response.content.decode()


def test_the_preview_refuses_a_client_the_person_cannot_see(client_for, personas, setup):
    _, template, _, _ = setup
    theirs = make_client(personas.stranger.user, first_name="Secretname")
    response = client_for("agent").get(url("template-preview", template.pk), {"client": theirs.pk})
    assert response.status_code == 200
    assert "Secretname" not in response.content.decode()
    assert "Select a valid choice" in response.content.decode()


def test_a_flagged_template_is_approved_by_the_broker_only(client_for, personas):
    template = make_template(personas.agent.user, body=FLAGGED)
    page = client_for("agent").get(url("template", template.pk)).content.decode()
    assert "cannot be used in a campaign" in page
    client_for("agent").post(url("template-approve", template.pk), {"reason": "Senior housing"})
    from compliance.models.fair_housing import FairHousingOverride

    assert not FairHousingOverride.objects.exists()
    client_for("broker").post(url("template-approve", template.pk), {"reason": "Senior housing"})
    assert FairHousingOverride.objects.get().reason == "Senior housing"


# ---------------------------------------------------------------------------------------------
# Segments and campaigns


def test_a_segment_is_saved_from_the_client_list_filters(client_for, personas):
    make_client(personas.agent.user, stage="active", first_name="Zed")
    browser = client_for("agent")
    page = browser.get(url("segment-create"), {"query": "stage=active"}).content.decode()
    assert 'value="stage=active"' in page
    response = browser.post(url("segment-create"), {"name": "Active", "query": "stage=active"})
    segment = ClientSegment.objects.get()
    assert response.url == url("segment-edit", segment.pk)
    assert "Zed" in browser.get(response.url).content.decode()


def test_the_campaign_builder_adds_steps_then_starts_pauses_and_resumes(client_for, personas):
    user = personas.agent.user
    make_client(user)
    template = make_template(user)
    segment = segment_create(name="All", query="", actor=user)
    browser = client_for("agent")
    response = browser.post(
        url("campaign-create"), {"name": "Drip", "segment": segment.pk, "kind": "drip"}
    )
    campaign = Campaign.objects.get()
    assert response.url == url("campaign", campaign.pk)
    browser.post(url("campaign-step-add", campaign.pk), {"template": template.pk, "delay_hours": 0})
    browser.post(
        url("campaign-step-add", campaign.pk), {"template": template.pk, "delay_hours": 48}
    )
    bad = browser.post(url("campaign-step-add", campaign.pk), {"template": "", "delay_hours": -1})
    assert bad.status_code == 200
    assert "field--error" in bad.content.decode()
    assert [step.delay_hours for step in campaign.steps.all()] == [0, 48]
    browser.post(url("campaign-start", campaign.pk))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RUNNING
    assert campaign.enrollments.count() == 1
    browser.post(url("campaign-pause", campaign.pk))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PAUSED
    browser.post(url("campaign-resume", campaign.pk))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RUNNING
    page = browser.get(url("campaign", campaign.pk)).content.decode()
    assert "Results" in page


def test_a_campaign_with_a_flagged_template_does_not_start(client_for, personas):
    user = personas.agent.user
    segment = segment_create(name="All", query="", actor=user)
    campaign = campaign_create(data={"name": "X", "segment": segment, "kind": "drip"}, actor=user)
    campaign_step_add(
        campaign=campaign, template=make_template(user, body=FLAGGED), delay_hours=0, actor=user
    )
    response = client_for("agent").post(url("campaign-start", campaign.pk), follow=True)
    assert "Fair Housing" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_a_campaign_form_offers_only_the_persons_segments(client_for, personas):
    theirs = segment_create(name="Colleague list", query="", actor=personas.colleague.user)
    response = client_for("agent").post(
        url("campaign-create"), {"name": "X", "segment": theirs.pk, "kind": "drip"}
    )
    assert response.status_code == 200
    assert not Campaign.objects.exists()


# ---------------------------------------------------------------------------------------------
# Lists


@pytest.mark.parametrize("name", ["templates", "segments", "campaigns"])
def test_the_lists_take_the_same_queries_whatever_their_length(
    client_for, personas, name, django_assert_max_num_queries
):
    user = personas.agent.user
    segment = segment_create(name="Seg0", query="", actor=user)

    def add(number):
        template = make_template(user, name=f"T{number}")
        other = segment_create(name=f"S{number}", query="", actor=user)
        campaign_create(data={"name": f"C{number}", "segment": other, "kind": "drip"}, actor=user)
        return template

    add(0)
    browser = client_for("agent")
    with CaptureQueriesContext(connection) as one:
        assert browser.get(url(name)).status_code == 200
    for number in range(1, 5):
        add(number)
    with django_assert_max_num_queries(len(one)):
        response = browser.get(url(name))
    assert response.content.decode().count("<tr>") >= 5
    assert segment.pk


def test_a_stranger_lists_none_of_ours(client_for, setup):
    browser = client_for("stranger")
    for name in ("templates", "segments", "campaigns"):
        content = browser.get(url(name)).content.decode()
        assert "Spring" not in content and "Everyone" not in content and "Hello" not in content


# ---------------------------------------------------------------------------------------------
# The client's unsubscribe link


def test_the_unsubscribe_link_confirms_then_unsubscribes(client, personas, setup):
    ann, _, _, campaign = setup
    campaign_start(campaign=campaign, actor=personas.agent.user)
    attempt = OutreachAttempt.objects.create(
        brokerage=personas.brokerage, client=ann, channel="email", idempotency_key="u1"
    )
    address = url("unsubscribe", attempt.unsubscribe_token)
    assert "Unsubscribe" in client.get(address).content.decode()
    assert not Client.objects.get(pk=ann.pk).do_not_email
    response = client.post(address)
    assert response.status_code == 200
    assert Client.objects.get(pk=ann.pk).do_not_email


# ---------------------------------------------------------------------------------------------
# Delivery events


@pytest.fixture
def endpoint(personas):
    return incoming_webhook_create(
        brokerage=personas.brokerage, name="Mail provider", kind=IncomingWebhookKind.DELIVERY_EVENTS
    )


def post_event(client, endpoint, payload, secret=None):
    body = json.dumps(payload)
    headers = signed_headers(secret=secret or endpoint.secret, message_id="evt_1", body=body)
    return client.post(
        reverse("outreach-delivery-events", args=[endpoint.token]),
        data=body,
        content_type="application/json",
        headers=headers,
    )


@pytest.fixture
def sent(personas):
    ann = make_client(personas.agent.user, first_name="Ann")
    return OutreachAttempt.objects.create(
        brokerage=personas.brokerage,
        client=ann,
        channel="email",
        idempotency_key="evt",
        to_address=ann.email,
        status=AttemptStatus.SENT,
        sent_at=timezone.now() - timedelta(minutes=5),
        provider_message_id="abc@mail",
    )


def test_a_signed_bounce_suppresses_the_address(client, endpoint, sent):
    response = post_event(
        client, endpoint, {"type": "email.bounced", "data": {"message_id": "abc@mail"}}
    )
    assert response.status_code == 200
    assert Suppression.objects.get().address == sent.to_address
    sent.refresh_from_db()
    assert sent.bounced_at is not None
    assert IncomingWebhookLog.objects.get().status_code == 200


def test_a_bad_signature_is_refused_and_logged(client, endpoint, sent):
    response = post_event(
        client,
        endpoint,
        {"type": "email.bounced", "data": {"message_id": "abc@mail"}},
        secret="whsec_" + "A" * 32,
    )
    assert response.status_code == 401
    assert not Suppression.objects.exists()
    sent.refresh_from_db()
    assert sent.bounced_at is None
    log = IncomingWebhookLog.objects.get()
    assert (log.status_code, log.verified) == (401, False)


def test_an_unknown_endpoint_is_not_found(client, endpoint):
    import uuid

    response = client.post(
        reverse("outreach-delivery-events", args=[uuid.uuid4()]),
        data="{}",
        content_type="application/json",
    )
    assert response.status_code == 404


def test_a_body_that_is_not_an_event_is_a_400(client, endpoint):
    response = post_event(client, endpoint, {"type": "nope"})
    assert response.status_code == 400
    assert IncomingWebhookLog.objects.get().status_code == 400


def test_the_endpoint_of_another_brokerage_does_not_touch_ours(client, personas, sent):
    theirs = incoming_webhook_create(
        brokerage=personas.other_brokerage,
        name="Theirs",
        kind=IncomingWebhookKind.DELIVERY_EVENTS,
    )
    response = post_event(
        client, theirs, {"type": "email.bounced", "data": {"message_id": "abc@mail"}}
    )
    assert response.status_code == 200
    sent.refresh_from_db()
    assert sent.bounced_at is None
    assert not Suppression.objects.filter(brokerage=personas.brokerage).exists()


# ---------------------------------------------------------------------------------------------
# The back office

OUTREACH_CHANGELISTS = [
    "clients_messagetemplate",
    "clients_clientsegment",
    "clients_campaign",
    "clients_outreachattempt",
    "clients_suppression",
    "clients_outreachsettings",
]


@pytest.mark.parametrize("model", OUTREACH_CHANGELISTS)
def test_the_broker_sees_only_their_brokerage_in_the_back_office(client_for, personas, model):
    for persona, name in ((personas.agent, "Maplething"), (personas.stranger, "Harborthing")):
        template = make_template(persona.user, name=name)
        segment = segment_create(name=name, query="", actor=persona.user)
        campaign_create(data={"name": name, "segment": segment, "kind": "drip"}, actor=persona.user)
        client = make_client(persona.user)
        OutreachAttempt.objects.create(
            brokerage=persona.brokerage,
            client=client,
            channel="email",
            template=template,
            to_address=f"{name}@example.com",
            idempotency_key=name,
        )
        Suppression.objects.create(
            brokerage=persona.brokerage, channel="email", address=f"{name}@example.com"
        )
    response = client_for("broker").get(reverse(f"admin:{model}_changelist"))
    assert response.status_code == 200
    assert "Harborthing" not in response.content.decode()


def test_the_broker_sets_the_sending_limits(client_for, personas):
    response = client_for("broker").post(
        reverse("admin:clients_outreachsettings_add"),
        {
            "email_per_minute": 100,
            "text_per_minute": 10,
            "quiet_hours_start": "20:00",
            "quiet_hours_end": "09:00",
        },
    )
    assert response.status_code == 302
    from clients.models import OutreachSettings

    settings_row = OutreachSettings.objects.get()
    assert (settings_row.brokerage, settings_row.text_per_minute) == (personas.brokerage, 10)


def test_the_client_list_links_its_filters_to_a_new_segment(client_for):
    page = client_for("agent").get(reverse("clients:list"), {"stage": "active"}).content.decode()
    assert f"{url('segment-create')}?query=stage%3Dactive" in page


def test_the_editor_previews_unsaved_text_with_a_client_and_its_findings(client_for, setup):
    ann, _, _, _ = setup
    response = client_for("agent").post(
        url("template-draft-preview"),
        {
            "channel": "email",
            "subject": "Hi",
            "body": f"Dear {{{{ client.first_name }}}}. {FLAGGED}",
            "client": ann.pk,
        },
        headers={"HX-Request": "true"},
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "Dear Ann." in content
    assert "Fair Housing" in content
    assert not MessageTemplate.objects.filter(subject="Hi", body__startswith="Dear").exists()


def test_the_editor_preview_shows_no_client_of_another_brokerage(client_for, personas):
    theirs = make_client(personas.stranger.user, first_name="Secretname")
    response = client_for("agent").post(
        url("template-draft-preview"),
        {
            "channel": "email",
            "subject": "Hi",
            "body": "{{ client.first_name }}",
            "client": theirs.pk,
        },
    )
    assert "Secretname" not in response.content.decode()
    assert client_for("anonymous").post(url("template-draft-preview")).status_code == 302


@pytest.mark.parametrize("persona", ["agent", "broker"])
def test_every_outreach_page_renders_for_the_owner_and_the_broker(client_for, setup, persona):
    _, template, segment, campaign = setup
    browser = client_for(persona)
    for address in (
        url("templates"),
        url("template-create"),
        url("template", template.pk),
        url("template-edit", template.pk),
        url("segments"),
        url("segment-create"),
        url("segment-edit", segment.pk),
        url("campaigns"),
        url("campaign-create"),
        url("campaign", campaign.pk),
        url("campaign-edit", campaign.pk),
    ):
        response = browser.get(address)
        assert response.status_code == 200, address
        assert (
            b"Spring" in response.content
            or b"Hello" in response.content
            or b"Everyone" in (response.content)
            or address.endswith(("/new/", "/segments/"))
        ), address


@pytest.mark.parametrize("persona", ["viewer", "stranger"])
def test_people_who_cannot_write_add_nothing(client_for, personas, persona):
    browser = client_for(persona)
    for name in ("template-create", "segment-create", "campaign-create"):
        # A viewer may not write; a stranger writes only in their own brokerage.
        assert browser.get(url(name)).status_code == (403 if persona == "viewer" else 200)
    browser.post(url("template-create"), {"name": "X", "channel": "text", "body": "Hi"})
    browser.post(url("segment-create"), {"name": "X", "query": ""})
    assert MessageTemplate.objects.filter(brokerage=personas.brokerage).count() == 0
    assert ClientSegment.objects.filter(brokerage=personas.brokerage).count() == 0
