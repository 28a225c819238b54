"""The outreach API: templates and their preview, segments, campaigns and the messages sent."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.choices import CampaignStatus
from clients.models import Campaign, ClientSegment, MessageTemplate, OutreachAttempt
from clients.services.campaigns import campaign_create, campaign_step_add
from clients.services.outreach import segment_create, template_approve, template_create
from tests.testing.factories import make_client, make_listing

pytestmark = pytest.mark.django_db

BASE = "/api/v1/outreach"
FLAGGED = "Adults only, perfect for a couple."


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


@pytest.mark.parametrize(
    ("persona", "template_status", "campaign_status"),
    [
        ("agent", 200, 200),
        ("colleague", 200, 404),
        ("broker", 200, 200),
        ("stranger", 404, 404),
        ("anonymous", 401, 401),
    ],
)
def test_who_reads_what(api_for, setup, persona, template_status, campaign_status):
    _, template, segment, campaign = setup
    api = api_for(persona)
    assert api.get(f"{BASE}/templates/{template.pk}/").status_code == template_status
    assert api.get(f"{BASE}/campaigns/{campaign.pk}/").status_code == campaign_status
    assert api.get(f"{BASE}/campaigns/{campaign.pk}/metrics/").status_code == campaign_status
    assert api.get(f"{BASE}/segments/{segment.pk}/").status_code == campaign_status


@pytest.mark.parametrize("persona", ["colleague", "stranger", "viewer", "anonymous"])
def test_others_change_nothing(api_for, setup, persona):
    _, template, segment, campaign = setup
    api = api_for(persona)
    assert api.post(f"{BASE}/campaigns/{campaign.pk}/start/").status_code in (401, 403, 404)
    assert api.patch(f"{BASE}/campaigns/{campaign.pk}/", {"name": "X"}).status_code in (
        401,
        403,
        404,
    )
    assert api.patch(f"{BASE}/templates/{template.pk}/", {"name": "X"}).status_code in (
        401,
        403,
        404,
    )
    assert api.delete(f"{BASE}/segments/{segment.pk}/").status_code in (401, 403, 404)
    campaign.refresh_from_db()
    template.refresh_from_db()
    assert (campaign.status, campaign.name, template.name) == ("draft", "Spring", "Hello")
    assert ClientSegment.objects.filter(pk=segment.pk).exists()


def test_the_template_preview_fills_in_real_data(api_for, personas, setup):
    client, template, _, _ = setup
    listing = make_listing(personas.agent.user)
    response = api_for("agent").get(
        f"{BASE}/templates/{template.pk}/preview/", {"client": client.pk, "listing": listing.pk}
    )
    assert response.status_code == 200
    assert response.json()["body"].startswith("Hi Ann")


def test_the_preview_refuses_a_client_of_another_brokerage(api_for, personas, setup):
    _, template, _, _ = setup
    theirs = make_client(personas.stranger.user)
    response = api_for("agent").get(
        f"{BASE}/templates/{template.pk}/preview/", {"client": theirs.pk}
    )
    assert response.status_code == 400
    assert "client" in response.json()


def test_a_template_is_written_scanned_and_refused_with_field_errors(api_for):
    api = api_for("agent")
    bad = api.post(
        f"{BASE}/templates/", {"name": "X", "channel": "email", "body": "{{ agent.salary }}"}
    )
    assert bad.status_code == 400
    assert set(bad.json()) == {"subject", "body"}
    flagged = api.post(
        f"{BASE}/templates/",
        {"name": "Flagged", "channel": "email", "subject": "Hi", "body": FLAGGED},
    )
    assert flagged.status_code == 201
    assert flagged.json()["findings"]
    assert flagged.json()["usable"] is False


def test_a_campaign_is_built_started_paused_and_resumed(
    api_for, personas, django_capture_on_commit_callbacks
):
    user = personas.agent.user
    make_client(user)
    template = make_template(user)
    segment = segment_create(name="All", query="", actor=user)
    api = api_for("agent")
    created = api.post(
        f"{BASE}/campaigns/",
        {
            "name": "Drip",
            "segment": segment.pk,
            "kind": "drip",
            "steps": [
                {"template": template.pk, "delay_hours": 0},
                {"template": template.pk, "delay_hours": 24},
            ],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert [step["delay_hours"] for step in body["steps"]] == [0, 24]
    address = f"{BASE}/campaigns/{body['id']}"
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"{address}/start/").json()["status"] == CampaignStatus.RUNNING
    assert api.post(f"{address}/start/").status_code == 400
    assert api.post(f"{address}/pause/").json()["status"] == CampaignStatus.PAUSED
    assert api.post(f"{address}/resume/").json()["status"] == CampaignStatus.RUNNING
    metrics = api.get(f"{address}/metrics/").json()
    assert metrics["steps"][0]["sent"] == 1  # the first step went out on start (eager)
    assert OutreachAttempt.objects.filter(status="sent").count() == 1


def test_a_flagged_template_blocks_the_start_until_the_broker_approves(api_for, personas):
    user = personas.agent.user
    template = make_template(user, body=FLAGGED)
    segment = segment_create(name="All", query="", actor=user)
    campaign = campaign_create(data={"name": "X", "segment": segment, "kind": "drip"}, actor=user)
    campaign_step_add(campaign=campaign, template=template, delay_hours=0, actor=user)
    response = api_for("agent").post(f"{BASE}/campaigns/{campaign.pk}/start/")
    assert response.status_code == 400
    assert "Fair Housing" in str(response.json())
    template_approve(template=template, reason="Senior housing.", actor=personas.broker.user)
    assert api_for("agent").post(f"{BASE}/campaigns/{campaign.pk}/start/").status_code == 200


def test_a_campaign_cannot_use_a_segment_of_another_brokerage(api_for, personas):
    theirs = segment_create(name="Theirs", query="", actor=personas.stranger.user)
    response = api_for("agent").post(
        f"{BASE}/campaigns/", {"name": "X", "segment": theirs.pk, "kind": "drip"}, format="json"
    )
    assert response.status_code == 400
    assert "segment" in response.json()
    assert not Campaign.objects.exists()


def test_a_segment_with_an_unknown_filter_is_refused(api_for):
    response = api_for("agent").post(f"{BASE}/segments/", {"name": "X", "query": "colour=red"})
    assert response.status_code == 400
    assert "query" in response.json()


def test_the_attempts_list_shows_messages_to_the_clients_one_can_see(api_for, personas, setup):
    client, _, _, _ = setup
    OutreachAttempt.objects.create(
        brokerage=personas.brokerage, client=client, channel="email", idempotency_key="a1"
    )
    assert api_for("agent").get(f"{BASE}/attempts/").json()["count"] == 1
    assert api_for("colleague").get(f"{BASE}/attempts/").json()["count"] == 0
    assert api_for("stranger").get(f"{BASE}/attempts/").json()["count"] == 0
    assert api_for("broker").get(f"{BASE}/attempts/").json()["count"] == 1


@pytest.mark.parametrize("name", ["templates", "segments", "campaigns", "attempts"])
def test_the_lists_take_the_same_queries_whatever_their_length(
    api_for, personas, name, django_assert_max_num_queries
):
    user = personas.agent.user

    def add(number):
        template = make_template(user, name=f"T{number}", body=FLAGGED if number % 2 else "Hi")
        segment = segment_create(name=f"S{number}", query="", actor=user)
        campaign = campaign_create(
            data={"name": f"C{number}", "segment": segment, "kind": "drip"}, actor=user
        )
        campaign_step_add(campaign=campaign, template=template, delay_hours=0, actor=user)
        client = make_client(user)
        OutreachAttempt.objects.create(
            brokerage=personas.brokerage,
            client=client,
            channel="email",
            campaign=campaign,
            idempotency_key=f"k{number}",
        )

    add(1)
    api = api_for("agent")
    with CaptureQueriesContext(connection) as one:
        assert api.get(f"{BASE}/{name}/").status_code == 200
    for number in range(2, 6):
        add(number)
    with django_assert_max_num_queries(len(one)):
        response = api.get(f"{BASE}/{name}/")
    assert response.json()["count"] == 5
    assert MessageTemplate.objects.count() == 5


@pytest.mark.parametrize(
    ("persona", "status"),
    [("agent", 202), ("broker", 202), ("colleague", 400), ("stranger", 404), ("anonymous", 401)],
)
def test_a_template_is_sent_to_one_client(api_for, setup, persona, status):
    client, template, _, _ = setup
    response = api_for(persona).post(
        f"{BASE}/templates/{template.pk}/send/", {"client": client.pk}, format="json"
    )
    assert response.status_code == status
    assert OutreachAttempt.objects.filter(client=client).count() == (1 if status == 202 else 0)
