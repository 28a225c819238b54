"""The people API: clients, their timeline and tasks, for every persona."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from clients.choices import ActivityKind, Stage
from clients.models import Activity, Client, LeadSource, Task
from clients.services.people import activity_log, buyer_preference_save, task_create
from tests.testing.factories import make_client, make_listing

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/clients/"
TASKS = "/api/v1/tasks/"


def detail(client):
    return f"{CLIENTS}{client.pk}/"


def activities(client):
    return f"{CLIENTS}{client.pk}/activities/"


def task_url(task, suffix=""):
    return f"{TASKS}{task.pk}/{suffix}"


def ids(response):
    return {row["id"] for row in response.data["results"]}


def snapshot(client):
    """What must not move when a request is refused."""
    client = Client.objects.get(pk=client.pk)
    return (
        client.stage,
        client.last_name,
        client.assigned_agent_id,
        client.updated_at,
        sorted(client.tags.values_list("name", flat=True)),
        Activity.objects.filter(client=client).count(),
    )


@pytest.fixture
def own(personas):
    return make_client(
        personas.agent.user,
        first_name="Jane",
        last_name="Doe",
        phone="(217) 555-0143",
        tags=["investor"],
    )


@pytest.fixture
def shared(personas):
    return make_client(personas.colleague.user, first_name="Sharon", co_agents=[personas.agent])


@pytest.fixture
def colleagues(personas):
    return make_client(personas.colleague.user, first_name="Colin")


@pytest.fixture
def strangers(personas):
    return make_client(personas.stranger.user, first_name="Harry")


@pytest.fixture
def pooled(personas):
    lead = make_client(personas.broker.user, first_name="Pam")
    Client.objects.filter(pk=lead.pk).update(in_pond=True)
    return lead


@pytest.fixture
def task(personas, own):
    return task_create(
        data={"title": "Call Jane", "due_date": timezone.localdate(), "client": own},
        actor=personas.agent.user,
    )


# ---------- who may reach what ----------


def test_anonymous_gets_401_from_every_people_endpoint(api_for, own, task):
    anonymous = api_for("anonymous")
    for method, path in [
        ("get", CLIENTS),
        ("post", CLIENTS),
        ("get", detail(own)),
        ("patch", detail(own)),
        ("get", activities(own)),
        ("post", activities(own)),
        ("get", TASKS),
        ("post", TASKS),
        ("get", task_url(task)),
        ("post", task_url(task, "complete/")),
    ]:
        assert getattr(anonymous, method)(path, {}).status_code == 401, (method, path)


def test_agent_lists_own_shared_and_pooled_clients(api_for, own, shared, colleagues, pooled):
    assert ids(api_for("agent").get(CLIENTS)) == {own.pk, shared.pk, pooled.pk}


def test_broker_lists_every_client_of_the_brokerage(
    api_for, own, shared, colleagues, pooled, strangers
):
    assert ids(api_for("broker").get(CLIENTS)) == {own.pk, shared.pk, colleagues.pk, pooled.pk}


def test_stranger_lists_only_their_brokerage(api_for, own, strangers):
    assert ids(api_for("stranger").get(CLIENTS)) == {strangers.pk}


@pytest.mark.parametrize("persona", ["colleague", "assistant", "viewer", "stranger"])
def test_others_get_404_for_every_endpoint_of_the_agents_client(api_for, own, persona):
    before = snapshot(own)
    api = api_for(persona)
    assert api.get(detail(own)).status_code == 404
    assert api.patch(detail(own), {"last_name": "Changed"}).status_code == 404
    assert api.put(detail(own), {"first_name": "X"}).status_code == 404
    assert api.get(activities(own)).status_code == 404
    assert api.post(activities(own), {"kind": "call", "subject": "Hi"}).status_code == 404
    assert snapshot(own) == before


def test_co_agent_reads_and_changes_a_shared_client(api_for, shared):
    api = api_for("agent")
    assert api.get(detail(shared)).status_code == 200
    response = api.patch(detail(shared), {"stage": "qualified"})
    assert response.status_code == 200
    assert response.data["stage_label"] == "Qualified"


def test_pooled_lead_is_read_only_for_brokerage_members(api_for, pooled):
    before = snapshot(pooled)
    api = api_for("colleague")
    assert api.get(detail(pooled)).status_code == 200
    assert api.patch(detail(pooled), {"stage": "active"}).status_code == 403
    assert api.post(activities(pooled), {"kind": "call", "subject": "Hi"}).status_code == 403
    assert snapshot(pooled) == before


@pytest.mark.parametrize("persona", ["agent", "colleague", "assistant", "viewer", "stranger"])
def test_only_the_broker_deletes_a_client(api_for, own, persona):
    assert api_for(persona).delete(detail(own)).status_code in (403, 404)
    assert Client.objects.filter(pk=own.pk).exists()


def test_broker_deletes_a_client(api_for, own):
    assert api_for("broker").delete(detail(own)).status_code == 204
    assert not Client.objects.filter(pk=own.pk).exists()


# ---------- reading ----------


def test_client_detail_has_labels_tags_co_agents_preference_and_score(api_for, personas, own):
    buyer_preference_save(
        client=own,
        data={"preapproval_status": "cash", "max_price": Decimal("400000"), "cities": ["Chatham"]},
        actor=personas.agent.user,
    )
    data = api_for("agent").get(detail(own)).data
    assert data["name"] == "Jane Doe"
    assert data["phone"] == "+12175550143"
    assert data["phone_display"] == "(217) 555-0143"
    assert data["stage"] == "new" and data["stage_label"] == "New"
    assert data["tags"] == ["investor"]
    assert data["co_agents"] == []
    assert data["assigned_agent"] == personas.agent.pk
    assert data["assigned_agent_name"] == personas.agent.name
    assert data["preference"]["max_price"] == "400000.00"
    assert data["preference"]["preapproval_status_label"] == "Cash buyer"
    assert data["score"] == 25
    assert {reason["signal"] for reason in data["score_reasons"]} == {
        "engagement",
        "preapproval",
        "timeline",
        "recency",
    }


def test_client_without_preferences_has_a_null_preference(api_for, own):
    assert api_for("agent").get(detail(own)).data["preference"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "jane"}, {"own"}),
        ({"q": "217-555-0143"}, {"own"}),
        ({"stage": "qualified"}, {"qualified"}),
        ({"mine": "true"}, {"own", "qualified"}),
        ({"pooled": "true"}, {"pooled"}),
        ({"sort": "-created"}, {"own", "qualified", "shared", "pooled"}),
    ],
)
def test_client_list_filters_with_the_shared_filterset(
    api_for, personas, own, shared, pooled, query, expected
):
    qualified = make_client(personas.agent.user, stage=Stage.QUALIFIED)
    made = {"own": own, "qualified": qualified, "shared": shared, "pooled": pooled}
    response = api_for("agent").get(CLIENTS, query)
    assert ids(response) == {made[name].pk for name in expected}


def test_client_list_filters_by_tag_and_source(api_for, personas, own):
    source = LeadSource.objects.create(brokerage=personas.brokerage, name="Open house")
    other = make_client(personas.agent.user, source=source)
    api = api_for("agent")
    assert ids(api.get(CLIENTS, {"tag": own.tags.get().pk})) == {own.pk}
    assert ids(api.get(CLIENTS, {"source": source.pk})) == {other.pk}


def test_another_brokerages_tag_is_an_unknown_filter_value(api_for, personas, strangers):
    theirs = make_client(personas.stranger.user, tags=["secret"])
    response = api_for("agent").get(CLIENTS, {"tag": theirs.tags.get().pk})
    assert response.status_code == 400
    assert "tag" in response.data


def test_client_list_query_count_does_not_grow_with_clients(
    personas, django_user_model, django_assert_max_num_queries
):
    agent = personas.agent.user
    for n in range(12):
        client = make_client(agent, tags=[f"t{n}", "all"], co_agents=[personas.colleague])
        buyer_preference_save(client=client, data={"timeline": "soon"}, actor=agent)
    api = APIClient()
    api.force_authenticate(django_user_model.objects.get(pk=agent.pk))
    # agent with role, count, the page with agent, source and preference, tags, co-agents
    # with their users, and guardian's content-type lookups
    with django_assert_max_num_queries(8):
        response = api.get(CLIENTS)
    assert len(response.data["results"]) == 12


# ---------- writing ----------


def test_agent_adds_a_client_with_tags_and_preference(api_for, personas):
    response = api_for("agent").post(
        CLIENTS,
        {
            "first_name": "Maria",
            "last_name": "Lopez",
            "email": "Maria@Example.com",
            "phone": "312.555.0188",
            "roles": ["buyer"],
            "tags": ["relocating", "vip"],
            "co_agents": [personas.colleague.pk],
            "preference": {"timeline": "now", "property_types": ["Residential"]},
        },
    )
    assert response.status_code == 201, response.data
    client = Client.objects.get(pk=response.data["id"])
    assert client.email == "maria@example.com"
    assert client.phone == "+13125550188"
    assert client.assigned_agent == personas.agent
    assert response.data["tags"] == ["relocating", "vip"]
    assert response.data["co_agents"] == [personas.colleague.pk]
    assert response.data["preference"]["timeline_label"] == "Now (0–3 months)"
    assert response.data["score"] == 25


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"first_name": "Jo", "phone": "12"}, "phone"),
        ({"first_name": "Jo", "email": "nope"}, "email"),
        ({"first_name": "Jo", "stage": "sold"}, "stage"),
        ({"first_name": "Jo", "time_zone": "Mars/Base"}, "time_zone"),
        ({"first_name": "Jo", "roles": ["king"]}, "roles"),
        ({"notes": "no name at all"}, "non_field_errors"),
        ({"first_name": "Jo", "preference": {"property_types": ["Castle"]}}, "preference"),
    ],
)
def test_invalid_client_is_a_400_naming_the_field(api_for, payload, field):
    response = api_for("agent").post(CLIENTS, payload)
    assert response.status_code == 400
    assert field in response.data
    assert not Client.objects.exists()


def test_preference_range_error_is_a_400_and_nothing_is_saved(api_for):
    response = api_for("agent").post(
        CLIENTS,
        {"first_name": "Jo", "preference": {"min_price": "500000", "max_price": "400000"}},
    )
    assert response.status_code == 400
    assert "max_price" in response.data
    assert not Client.objects.exists()


def test_agent_cannot_hand_a_client_to_a_colleague(api_for, personas, own):
    before = snapshot(own)
    response = api_for("agent").patch(detail(own), {"assigned_agent": personas.colleague.pk})
    assert response.status_code == 400
    assert "assigned_agent" in response.data
    assert snapshot(own) == before


def test_agent_of_another_brokerage_is_an_unknown_id(api_for, personas, own):
    response = api_for("agent").patch(detail(own), {"co_agents": [personas.stranger.pk]})
    assert response.status_code == 400
    assert "co_agents" in response.data


def test_viewer_cannot_add_a_client(api_for):
    assert api_for("viewer").post(CLIENTS, {"first_name": "Jo"}).status_code == 403
    assert not Client.objects.exists()


def test_patch_changes_stage_tags_and_preference_together(api_for, personas, own):
    response = api_for("agent").patch(
        detail(own),
        {"stage": "active", "tags": ["hot"], "preference": {"preapproval_status": "preapproved"}},
    )
    assert response.status_code == 200, response.data
    assert response.data["tags"] == ["hot"]
    assert response.data["preference"]["preapproval_status"] == "preapproved"
    assert response.data["score"] == 25
    own.refresh_from_db()
    assert own.stage == Stage.ACTIVE
    assert own.activities.filter(subject="Stage: New → Active").exists()


def test_patch_leaves_tags_alone_when_not_sent(api_for, own):
    api_for("agent").patch(detail(own), {"last_name": "Doe-Smith"})
    assert list(own.tags.values_list("name", flat=True)) == ["investor"]


def test_broker_reassigns_a_client(api_for, personas, own):
    response = api_for("broker").patch(detail(own), {"assigned_agent": personas.colleague.pk})
    assert response.status_code == 200
    assert response.data["assigned_agent_name"] == personas.colleague.name


def test_read_only_fields_sent_by_the_caller_are_ignored(api_for, own):
    response = api_for("agent").patch(detail(own), {"score": 99, "in_pond": True})
    assert response.status_code == 200
    own.refresh_from_db()
    assert own.score == 0 and not own.in_pond


# ---------- timeline ----------


def test_agent_logs_a_call_and_the_lead_moves_to_contacted(api_for, own):
    response = api_for("agent").post(
        activities(own), {"kind": "call", "subject": "Intro call", "body": "Wants 3 beds."}
    )
    assert response.status_code == 201, response.data
    assert response.data["kind_label"] == "Call"
    assert response.data["actor_name"]
    own.refresh_from_db()
    assert own.stage == Stage.CONTACTED
    assert own.last_contacted_at is not None


def test_system_events_cannot_be_logged_through_the_api(api_for, own):
    response = api_for("agent").post(activities(own), {"kind": "system", "subject": "Fake"})
    assert response.status_code == 400
    assert "kind" in response.data


def test_timeline_lists_activities_newest_first_with_pages(api_for, personas, own):
    agent = personas.agent.user
    activity_log(
        client=own,
        kind=ActivityKind.NOTE,
        subject="Old",
        actor=agent,
        occurred_at=timezone.now() - timedelta(days=3),
    )
    activity_log(client=own, kind=ActivityKind.EMAIL, subject="New", actor=agent)
    api = api_for("agent")
    first = api.get(activities(own), {"page_size": 2})
    assert [row["subject"] for row in first.data["results"]] == ["New", "Client added"]
    assert first.data["count"] == 3
    second = api.get(activities(own), {"page_size": 2, "page": 2})
    assert [row["subject"] for row in second.data["results"]] == ["Old"]


def test_broker_reads_and_adds_to_any_timeline(api_for, own):
    api = api_for("broker")
    assert api.get(activities(own)).status_code == 200
    assert api.post(activities(own), {"kind": "note", "subject": "Seen"}).status_code == 201


# ---------- tasks ----------


def test_agent_adds_lists_and_completes_a_task(api_for, personas, own):
    api = api_for("agent")
    response = api.post(
        TASKS,
        {"title": "Send listings", "due_date": "2030-05-01", "priority": "high", "client": own.pk},
    )
    assert response.status_code == 201, response.data
    assert response.data["assigned_agent"] == personas.agent.pk
    assert response.data["client_name"] == "Jane Doe"
    assert response.data["done"] is False
    task = Task.objects.get(pk=response.data["id"])
    assert ids(api.get(TASKS)) == {task.pk}
    response = api.post(task_url(task, "complete/"))
    assert response.status_code == 200
    assert response.data["done"] is True and response.data["done_at"]
    assert ids(api.get(TASKS, {"done": "false"})) == set()
    assert ids(api.get(TASKS, {"done": "true"})) == {task.pk}


def test_task_is_reopened_by_setting_done_false(api_for, task):
    api = api_for("agent")
    api.post(task_url(task, "complete/"))
    response = api.patch(task_url(task), {"done": False, "title": "Call Jane again"})
    assert response.status_code == 200
    task.refresh_from_db()
    assert not task.is_done and task.title == "Call Jane again"


@pytest.mark.parametrize("persona", ["colleague", "assistant", "viewer", "stranger"])
def test_others_get_404_for_the_agents_task(api_for, task, persona):
    api = api_for(persona)
    assert api.get(task_url(task)).status_code == 404
    assert api.patch(task_url(task), {"title": "Mine now"}).status_code == 404
    assert api.post(task_url(task, "complete/")).status_code == 404
    assert task.pk not in ids(api.get(TASKS))
    task.refresh_from_db()
    assert task.title == "Call Jane" and not task.is_done


def test_broker_assigns_a_task_to_an_agent(api_for, personas):
    response = api_for("broker").post(
        TASKS,
        {"title": "Open house", "due_date": "2030-05-02", "assigned_agent": personas.agent.pk},
    )
    assert response.status_code == 201
    assert response.data["assigned_agent_name"] == personas.agent.name


def test_agent_cannot_assign_a_task_to_a_colleague(api_for, personas):
    response = api_for("agent").post(
        TASKS, {"title": "Yours", "due_date": "2030-05-02", "assigned_agent": personas.colleague.pk}
    )
    assert response.status_code == 400
    assert "assigned_agent" in response.data
    assert not Task.objects.exists()


def test_task_about_another_brokerages_client_or_listing_is_a_400(api_for, personas, strangers):
    listing = make_listing(personas.stranger.user)
    api = api_for("agent")
    for payload in ({"client": strangers.pk}, {"listing": listing.pk}):
        response = api.post(TASKS, {"title": "Nope", "due_date": "2030-05-02", **payload})
        assert response.status_code == 400
        assert set(payload) <= set(response.data)
    assert not Task.objects.exists()


def test_viewer_cannot_add_a_task(api_for):
    response = api_for("viewer").post(TASKS, {"title": "x", "due_date": "2030-05-02"})
    assert response.status_code == 403


def test_tasks_filter_by_due(api_for, personas):
    agent = personas.agent.user
    today = timezone.localdate()
    made = {
        when: task_create(
            data={"title": when, "due_date": today + timedelta(days=offset)}, actor=agent
        )
        for when, offset in (("overdue", -1), ("today", 0), ("upcoming", 2))
    }
    api = api_for("agent")
    for when, task in made.items():
        assert ids(api.get(TASKS, {"due": when})) == {task.pk}


def test_task_list_query_count_does_not_grow_with_tasks(
    personas, own, django_user_model, django_assert_max_num_queries
):
    agent = personas.agent.user
    for n in range(12):
        task_create(
            data={"title": f"T{n}", "due_date": timezone.localdate(), "client": own}, actor=agent
        )
    api = APIClient()
    api.force_authenticate(django_user_model.objects.get(pk=agent.pk))
    # agent with role, count, the page with clients and agents, guardian's content type
    with django_assert_max_num_queries(4):
        response = api.get(TASKS)
    assert len(response.data["results"]) == 12


# ---------- schema ----------


def test_schema_documents_the_people_endpoints(api_for):
    schema = api_for("agent").get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert {
        "/api/v1/clients/",
        "/api/v1/clients/{id}/",
        "/api/v1/clients/{id}/activities/",
        "/api/v1/tasks/",
        "/api/v1/tasks/{id}/",
        "/api/v1/tasks/{id}/complete/",
    } <= set(schema["paths"])


def test_the_agent_deletes_their_task_and_others_cannot(api_for, task):
    for persona in ("colleague", "viewer", "stranger"):
        assert api_for(persona).delete(task_url(task)).status_code == 404
    assert Task.objects.filter(pk=task.pk).exists()
    assert api_for("agent").delete(task_url(task)).status_code == 204
    assert not Task.objects.filter(pk=task.pk).exists()
