"""The CRM pages of clients, their timeline, the pipeline board and tasks, for every persona."""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.choices import ActivityKind, Stage
from clients.models import Activity, BuyerPreference, Client, LeadSource, Task
from clients.selectors import pipeline_board
from clients.services.people import (
    activity_log,
    buyer_preference_save,
    client_share,
    task_complete,
    task_create,
)
from realestate.permissions import restrict
from tests.testing.factories import make_client, make_listing

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
SEES_AGENTS_CLIENT = ("agent", "broker")
CANNOT_SEE_AGENTS_CLIENT = ("colleague", "assistant", "viewer", "stranger")


def url(name, *args):
    return reverse(f"clients:{name}", args=args)


def listed_pks(response):
    return {client.pk for client in response.context["object_list"]}


def assert_redirects_to_login(response):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def snapshot(client):
    """What must not move when a request is refused."""
    client = Client.objects.get(pk=client.pk)
    return (
        client.stage,
        client.last_name,
        client.assigned_agent_id,
        client.updated_at,
        Activity.objects.filter(client=client).count(),
        Task.objects.filter(client=client).count(),
    )


@pytest.fixture
def own(personas):
    """The agent's own client, with a phone, a tag and a lead source."""
    source = LeadSource.objects.create(brokerage=personas.brokerage, name="Zillow")
    return make_client(
        personas.agent.user,
        first_name="Jane",
        last_name="Doe",
        email="jane@example.com",
        phone="(217) 555-0143",
        tags=["investor"],
        source=source,
    )


@pytest.fixture
def shared(personas):
    """A colleague's client the agent works as co-agent."""
    return make_client(
        personas.colleague.user, first_name="Sharon", last_name="Shared", co_agents=[personas.agent]
    )


@pytest.fixture
def colleagues(personas):
    return make_client(personas.colleague.user, first_name="Colin", last_name="Private")


@pytest.fixture
def strangers(personas):
    return make_client(personas.stranger.user, first_name="Harry", last_name="Harbor")


@pytest.fixture
def pooled(personas):
    """A lead in the brokerage's pond, nobody's yet."""
    lead = make_client(personas.broker.user, first_name="Pam", last_name="Pond")
    Client.objects.filter(pk=lead.pk).update(in_pond=True)
    lead.refresh_from_db()
    return lead


# ---------- list page ----------


def test_agent_sees_own_shared_and_pooled_clients_only(
    client_for, own, shared, colleagues, strangers, pooled
):
    response = client_for("agent").get(url("list"))
    assert response.status_code == 200
    assert listed_pks(response) == {own.pk, shared.pk, pooled.pk}
    content = response.content.decode()
    assert "Jane Doe" in content
    assert "Colin" not in content and "Harry" not in content


def test_broker_sees_every_client_of_the_brokerage(
    client_for, own, shared, colleagues, strangers, pooled
):
    response = client_for("broker").get(url("list"))
    assert listed_pks(response) == {own.pk, shared.pk, colleagues.pk, pooled.pk}


def test_stranger_sees_only_their_own_brokerage_clients(client_for, own, pooled, strangers):
    response = client_for("stranger").get(url("list"))
    assert listed_pks(response) == {strangers.pk}


def test_viewer_sees_only_pooled_leads_and_is_not_offered_to_add(client_for, own, pooled):
    response = client_for("viewer").get(url("list"))
    assert listed_pks(response) == {pooled.pk}
    assert url("create") not in response.content.decode()


def test_anonymous_visitor_is_sent_to_login_from_the_client_pages(client_for, own):
    anonymous = client_for("anonymous")
    before = snapshot(own)
    for name, args in [
        ("list", ()),
        ("create", ()),
        ("pipeline", ()),
        ("tasks", ()),
        ("task-create", ()),
        ("day", ()),
        ("detail", (own.pk,)),
        ("edit", (own.pk,)),
        ("preferences", (own.pk,)),
    ]:
        assert_redirects_to_login(anonymous.get(url(name, *args)))
    for name in ("stage", "activity-create", "share"):
        assert_redirects_to_login(anonymous.post(url(name, own.pk), {"stage": "lost"}))
    assert snapshot(own) == before


def test_list_row_shows_name_stage_score_phone_agent_and_tags(client_for, personas, own):
    content = client_for("agent").get(url("list")).content.decode()
    assert "(217) 555-0143" in content
    assert "badge--stage-new" in content
    assert "investor" in content
    assert "Zillow" in content
    assert personas.agent.name in content
    assert "Never" in content


def test_list_empty_state_says_what_to_do_next(client_for):
    content = client_for("agent").get(url("list")).content.decode()
    assert "No clients yet" in content
    assert url("create") in content


def test_list_empty_state_for_filters_offers_to_clear_them(client_for, own):
    content = client_for("agent").get(url("list"), {"q": "nobody"}).content.decode()
    assert "No clients match these filters" in content


def test_htmx_filtering_answers_with_the_results_only(client_for, own):
    response = client_for("agent").get(url("list"), {"q": "jane"}, **HTMX)
    content = response.content.decode()
    assert "<html" not in content
    assert "Jane Doe" in content
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jane", {"jane"}),
        ("DOE jane", {"jane"}),
        ("jane@example", {"jane"}),
        ("(217) 555-0143", {"jane"}),
        ("217.555.0143", {"jane"}),
        ("+1 217 555 0143", {"jane"}),
        ("5550143", {"jane"}),
        ("555-0199", {"bob"}),
        ("bobby", set()),
    ],
)
def test_search_matches_name_email_and_phone_digits(personas, client_for, own, text, expected):
    bob = make_client(personas.agent.user, first_name="Bob", last_name="Ray", phone="2175550199")
    made = {"jane": own, "bob": bob}
    response = client_for("agent").get(url("list"), {"q": text})
    assert listed_pks(response) == {made[name].pk for name in expected}


def test_list_filters_by_stage_source_tag_agent_and_pool(personas, client_for, own, pooled):
    broker = personas.broker.user
    qualified = make_client(personas.colleague.user, tags=["relocating"], stage=Stage.QUALIFIED)
    client = client_for("broker")

    def pks(**params):
        return listed_pks(client.get(url("list"), params))

    assert pks(stage=[Stage.QUALIFIED]) == {qualified.pk}
    assert pks(stage=[Stage.QUALIFIED, Stage.NEW]) == {qualified.pk, own.pk, pooled.pk}
    assert pks(source=own.source_id) == {own.pk}
    tag = qualified.tags.get()
    assert pks(tag=tag.pk) == {qualified.pk}
    assert pks(assigned_agent=personas.colleague.pk) == {qualified.pk}
    assert pks(pooled="true") == {pooled.pk}
    assert pks(pooled="false") == {own.pk, qualified.pk}
    assert broker is not None


def test_mine_shows_only_the_agents_own_clients(client_for, own, shared, pooled):
    response = client_for("agent").get(url("list"), {"mine": "true"})
    assert listed_pks(response) == {own.pk}


def test_last_contact_filters_find_clients_not_contacted_lately(personas, client_for, own):
    agent = personas.agent.user
    recent = make_client(agent, first_name="Recent")
    old = make_client(agent, first_name="Old")
    now = timezone.now()
    activity_log(client=recent, kind=ActivityKind.CALL, subject="Call", actor=agent)
    activity_log(
        client=old,
        kind=ActivityKind.CALL,
        subject="Call",
        actor=agent,
        occurred_at=now - timedelta(days=45),
    )
    client = client_for("agent")
    response = client.get(url("list"), {"not_contacted_days": "30"})
    assert listed_pks(response) == {own.pk, old.pk}
    long_ago = (now - timedelta(days=46)).date().isoformat()
    a_month_ago = (now - timedelta(days=40)).date().isoformat()
    response = client.get(
        url("list"), {"last_contacted_after": long_ago, "last_contacted_before": a_month_ago}
    )
    assert listed_pks(response) == {old.pk}


def test_sort_by_score_puts_the_hottest_lead_first(personas, client_for):
    agent = personas.agent.user
    cold = make_client(agent, first_name="Cold")
    hot = make_client(agent, first_name="Hot")
    buyer_preference_save(
        client=hot, data={"preapproval_status": "cash", "timeline": "now"}, actor=agent
    )
    response = client_for("agent").get(url("list"), {"sort": "-score"})
    assert [c.pk for c in response.context["object_list"]] == [hot.pk, cold.pk]


def test_list_query_count_does_not_grow_with_clients(
    personas, client_for, django_assert_max_num_queries
):
    agent = personas.agent.user
    source = LeadSource.objects.create(brokerage=personas.brokerage, name="Website")
    for n in range(15):
        make_client(agent, tags=[f"tag{n}", "buyer"], source=source, phone=f"217555{n:04d}")
    client = client_for("agent")
    # session, user, agent with role, count, page with agent and source, tags, the filter
    # form's three choice lists (guardian's shares are subqueries)
    with django_assert_max_num_queries(10):
        response = client.get(url("list"))
    assert len(response.context["object_list"]) == 15


# ---------- detail page ----------


@pytest.mark.parametrize("persona", SEES_AGENTS_CLIENT)
def test_agent_and_broker_open_the_agents_client(client_for, own, persona):
    response = client_for(persona).get(url("detail", own.pk))
    assert response.status_code == 200
    assert response.context["can_change"]


@pytest.mark.parametrize("persona", CANNOT_SEE_AGENTS_CLIENT)
def test_others_get_404_for_the_agents_private_client(client_for, own, persona):
    assert client_for(persona).get(url("detail", own.pk)).status_code == 404


def test_co_agent_opens_and_may_change_a_shared_client(client_for, shared):
    response = client_for("agent").get(url("detail", shared.pk))
    assert response.status_code == 200
    assert response.context["can_change"]


def test_pooled_lead_is_read_only_for_brokerage_members(client_for, pooled):
    response = client_for("colleague").get(url("detail", pooled.pk))
    assert response.status_code == 200
    assert not response.context["can_change"]
    content = response.content.decode()
    assert url("edit", pooled.pk) not in content
    assert url("activity-create", pooled.pk) not in content


def test_claim_button_shows_on_a_pooled_lead(client_for, pooled):
    content = client_for("colleague").get(url("detail", pooled.pk)).content.decode()
    assert f'action="{url("claim", pooled.pk)}"' in content
    assert "Claim this lead" in content


def test_detail_shows_contact_details_with_the_phone_as_people_read_it(client_for, own):
    content = client_for("agent").get(url("detail", own.pk)).content.decode()
    assert "(217) 555-0143" in content
    assert 'href="tel:+12175550143"' in content
    assert "jane@example.com" in content


def test_do_not_contact_flags_are_visible(personas, client_for):
    client = make_client(
        personas.agent.user, phone="2175550100", do_not_call=True, do_not_email=True
    )
    content = client_for("agent").get(url("detail", client.pk)).content.decode()
    assert "Do not call" in content
    assert "Do not email" in content
    assert "Do not text" not in content
    assert 'href="tel:' not in content


def test_detail_shows_the_score_with_its_reasons(personas, client_for, own):
    buyer_preference_save(
        client=own,
        data={"preapproval_status": "preapproved", "preapproval_amount": Decimal("450000")},
        actor=personas.agent.user,
    )
    content = client_for("agent").get(url("detail", own.pk)).content.decode()
    assert "Financing: Pre-approved for $450,000" in content
    assert "Timeline: not known" in content


def test_timeline_lists_activities_newest_first(personas, client_for, own):
    agent = personas.agent.user
    activity_log(
        client=own,
        kind=ActivityKind.NOTE,
        subject="Older note",
        actor=agent,
        occurred_at=timezone.now() - timedelta(days=2),
    )
    activity_log(client=own, kind=ActivityKind.CALL, subject="Newest call", actor=agent)
    response = client_for("agent").get(url("detail", own.pk))
    subjects = [activity.subject for activity in response.context["timeline"]]
    assert subjects[0] == "Newest call"
    assert subjects.index("Newest call") < subjects.index("Older note")


def test_matches_section_lists_what_the_matching_offers(client_for, personas, own, monkeypatch):
    buyer_preference_save(client=own, data={"cities": ["Springfield"]}, actor=personas.agent.user)
    listing = make_listing(personas.agent.user, street_name="Matchless")
    match = SimpleNamespace(listing=listing, score=87, reasons=["In Springfield"])
    monkeypatch.setattr("clients.views.people.buyer_matches", lambda **kwargs: [match])
    content = client_for("agent").get(url("detail", own.pk)).content.decode()
    assert "Matchless" in content
    assert "In Springfield" in content


def test_detail_query_count_is_bounded(personas, client_for, own, django_assert_max_num_queries):
    agent = personas.agent.user
    for n in range(10):
        activity_log(client=own, kind=ActivityKind.NOTE, subject=f"Note {n}", actor=agent)
        task_create(
            data={"title": f"Task {n}", "due_date": timezone.localdate(), "client": own},
            actor=agent,
        )
    client = client_for("agent")
    # session, user, agent with role, the client with agent, source and preference, tags,
    # co-agents, may change, timeline, open tasks, the share form's colleagues, and up to
    # three content-type lookups of guardian's shares
    with django_assert_max_num_queries(13):
        response = client.get(url("detail", own.pk))
    assert len(response.context["tasks"]) == 10


# ---------- stage moves ----------


def test_agent_moves_their_client_to_another_stage(personas, client_for, own):
    response = client_for("agent").post(url("stage", own.pk), {"stage": Stage.QUALIFIED})
    assert response.status_code == 302
    assert response["Location"] == own.get_absolute_url()
    own.refresh_from_db()
    assert own.stage == Stage.QUALIFIED
    assert own.activities.filter(subject="Stage: New → Qualified").exists()


@pytest.mark.parametrize(
    ("persona", "status"), [("colleague", 404), ("viewer", 404), ("stranger", 404)]
)
def test_others_cannot_move_the_agents_client(client_for, own, persona, status):
    before = snapshot(own)
    response = client_for(persona).post(url("stage", own.pk), {"stage": Stage.LOST})
    assert response.status_code == status
    assert snapshot(own) == before


def test_pooled_lead_cannot_be_moved_by_an_agent(client_for, pooled):
    before = snapshot(pooled)
    response = client_for("agent").post(url("stage", pooled.pk), {"stage": Stage.ACTIVE})
    assert response.status_code == 403
    assert snapshot(pooled) == before


def test_unknown_stage_changes_nothing(client_for, own):
    before = snapshot(own)
    response = client_for("agent").post(url("stage", own.pk), {"stage": "sold"})
    assert response.status_code == 302
    assert snapshot(own) == before


# ---------- logging activities ----------


def test_agent_logs_a_call_with_htmx_and_sees_it_on_the_timeline(client_for, own):
    response = client_for("agent").post(
        url("activity-create", own.pk),
        {"kind": "call", "subject": "Talked about the budget", "body": "Up to 450k."},
        **HTMX,
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert "Talked about the budget" in content
    assert 'id="client-stage" aria-label="Stage" hx-swap-oob="true"' in content
    own.refresh_from_db()
    assert own.stage == Stage.CONTACTED
    assert own.last_contacted_at is not None
    activity = own.activities.get(kind="call")
    assert activity.body == "Up to 450k."


def test_logging_without_htmx_redirects_to_the_client(client_for, own):
    response = client_for("agent").post(
        url("activity-create", own.pk), {"kind": "note", "subject": "Likes big yards"}
    )
    assert response.status_code == 302
    assert own.activities.filter(subject="Likes big yards").exists()


def test_activity_without_a_summary_is_an_error_that_keeps_what_was_typed(client_for, own):
    response = client_for("agent").post(
        url("activity-create", own.pk), {"kind": "email", "subject": "", "body": "Sent photos"}
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "This field is required." in content
    assert "Sent photos" in content
    assert not own.activities.filter(kind="email").exists()


def test_system_events_cannot_be_logged_by_hand(client_for, own):
    response = client_for("agent").post(
        url("activity-create", own.pk), {"kind": "system", "subject": "Fake"}, **HTMX
    )
    assert "Select a valid choice" in response.content.decode()
    assert not own.activities.filter(subject="Fake").exists()


@pytest.mark.parametrize("persona", ["colleague", "viewer", "stranger"])
def test_others_cannot_log_on_the_agents_client(client_for, own, persona):
    before = snapshot(own)
    response = client_for(persona).post(
        url("activity-create", own.pk), {"kind": "call", "subject": "Sneaky"}
    )
    assert response.status_code == 404
    assert snapshot(own) == before


def test_nobody_logs_on_a_pooled_lead_before_claiming_it(client_for, pooled):
    response = client_for("agent").post(
        url("activity-create", pooled.pk), {"kind": "call", "subject": "Early bird"}
    )
    assert response.status_code == 403
    assert not pooled.activities.filter(subject="Early bird").exists()


# ---------- create and edit ----------


def client_form_data(**overrides):
    data = {
        "first_name": "Maria",
        "last_name": "Lopez",
        "email": " Maria@Example.COM ",
        "phone": "(312) 555-0188",
        "preferred_contact_method": "phone",
        "language": "es",
        "stage": "new",
        "roles": ["buyer"],
        "tags": "investor, relocating",
        "preference-preapproval_status": "none",
    }
    data.update(overrides)
    return data


def test_agent_adds_a_client_with_tags_and_buyer_preferences(personas, client_for):
    response = client_for("agent").post(
        url("create"),
        client_form_data(
            **{
                "preference-max_price": "500000",
                "preference-cities": "Springfield, Chatham",
                "preference-timeline": "now",
                "preference-property_types": ["Residential"],
            }
        ),
    )
    client = Client.objects.get(last_name="Lopez")
    assert response.status_code == 302
    assert response["Location"] == client.get_absolute_url()
    assert client.email == "maria@example.com"
    assert client.phone == "+13125550188"
    assert client.assigned_agent == personas.agent
    assert sorted(client.tags.values_list("name", flat=True)) == ["investor", "relocating"]
    preference = client.preference
    assert preference.max_price == Decimal("500000")
    assert preference.cities == ["Springfield", "Chatham"]
    assert client.score > 0


def test_client_without_buyer_preferences_gets_none(client_for):
    client_for("agent").post(url("create"), client_form_data())
    client = Client.objects.get(last_name="Lopez")
    assert not BuyerPreference.objects.filter(client=client).exists()


def test_bad_phone_is_shown_next_to_the_field_and_nothing_typed_is_lost(client_for):
    response = client_for("agent").post(
        url("create"), client_form_data(phone="12", **{"preference-cities": "Chatham"})
    )
    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == ["Enter a valid phone number."]
    content = response.content.decode()
    assert 'value="Maria"' in content
    assert 'value="investor, relocating"' in content
    assert 'value="Chatham"' in content
    assert not Client.objects.filter(last_name="Lopez").exists()


def test_a_service_error_on_a_preference_is_shown_on_that_field(client_for):
    response = client_for("agent").post(
        url("create"),
        client_form_data(**{"preference-min_price": "600000", "preference-max_price": "500000"}),
    )
    assert response.status_code == 200
    assert response.context["preference_form"].errors["max_price"] == [
        "Must be at least the minimum."
    ]
    assert not Client.objects.filter(last_name="Lopez").exists()


def test_viewer_cannot_add_a_client(client_for):
    client = client_for("viewer")
    assert client.get(url("create")).status_code == 403
    assert client.post(url("create"), client_form_data()).status_code == 403
    assert not Client.objects.exists()


def test_agent_cannot_pick_another_agent_for_a_new_client(personas, client_for):
    client_for("agent").post(url("create"), client_form_data(assigned_agent=personas.colleague.pk))
    assert Client.objects.get(last_name="Lopez").assigned_agent == personas.agent


def test_broker_adds_a_client_for_an_agent(personas, client_for):
    client_for("broker").post(url("create"), client_form_data(assigned_agent=personas.agent.pk))
    assert Client.objects.get(last_name="Lopez").assigned_agent == personas.agent


def edit_data(client, page_client, **changes):
    form = page_client.get(url("edit", client.pk)).context["form"]
    data = {}
    for field in form:
        value = field.value()
        if isinstance(value, bool):
            if value:
                data[field.name] = "on"
        elif isinstance(value, list):
            data[field.name] = [str(item) for item in value]
        elif field.name == "tags":
            data[field.name] = field.field.prepare_value(value)
        else:
            data[field.name] = "" if value is None else str(value)
    data.update(changes)
    return data


def test_agent_edits_their_client_and_shares_it_with_a_co_agent(personas, client_for, own):
    page = client_for("agent")
    data = edit_data(own, page, last_name="Doe-Smith", co_agents=[str(personas.colleague.pk)])
    response = page.post(url("edit", own.pk), data)
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.last_name == "Doe-Smith"
    assert list(own.co_agents.all()) == [personas.colleague]
    assert list(own.tags.values_list("name", flat=True)) == ["investor"]
    assert client_for("colleague").get(url("detail", own.pk)).status_code == 200


def test_edit_keeps_tags_unless_changed_and_replaces_them_when_changed(client_for, own):
    page = client_for("agent")
    page.post(url("edit", own.pk), edit_data(own, page, tags="buyer, vip"))
    assert sorted(own.tags.values_list("name", flat=True)) == ["buyer", "vip"]


@pytest.mark.parametrize("persona", ["colleague", "viewer", "stranger"])
def test_others_cannot_edit_the_agents_client(client_for, own, persona):
    before = snapshot(own)
    client = client_for(persona)
    assert client.get(url("edit", own.pk)).status_code == 404
    assert client.post(url("edit", own.pk), client_form_data()).status_code == 404
    assert snapshot(own) == before


def test_buyer_preferences_page_saves_and_rescores(personas, client_for, own):
    page = client_for("agent")
    assert page.get(url("preferences", own.pk)).status_code == 200
    response = page.post(
        url("preferences", own.pk),
        {"preapproval_status": "cash", "timeline": "now", "must_haves": ["garage"]},
    )
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.preference.must_haves == ["garage"]
    assert own.score == 50


def test_colleague_cannot_open_the_preferences_of_the_agents_client(client_for, own):
    assert client_for("colleague").get(url("preferences", own.pk)).status_code == 404


# ---------- sharing ----------


def test_agent_shares_their_client_with_a_colleague_to_read(personas, client_for, own):
    response = client_for("agent").post(url("share", own.pk), {"agent": personas.colleague.pk})
    assert response.status_code == 302
    colleague = client_for("colleague")
    assert colleague.get(url("detail", own.pk)).status_code == 200
    before = snapshot(own)
    assert colleague.post(url("stage", own.pk), {"stage": "lost"}).status_code == 403
    assert snapshot(own) == before


def test_co_agent_may_not_share_a_client_further(personas, client_for, shared):
    response = client_for("agent").post(url("share", shared.pk), {"agent": personas.assistant.pk})
    assert response.status_code == 403
    assert client_for("assistant").get(url("detail", shared.pk)).status_code == 404


def test_colleague_cannot_share_the_agents_client(personas, client_for, own):
    response = client_for("colleague").post(url("share", own.pk), {"agent": personas.colleague.pk})
    assert response.status_code == 404
    assert client_for("colleague").get(url("detail", own.pk)).status_code == 404


def test_share_form_offers_only_colleagues_of_the_brokerage(personas, client_for, own):
    response = client_for("agent").get(url("detail", own.pk))
    choices = set(response.context["share_form"].fields["agent"].queryset)
    assert personas.colleague in choices
    assert personas.stranger not in choices and personas.agent not in choices


# ---------- pipeline board ----------


def board_cards(response):
    return {
        column.stage: {card.pk for card in column.cards}
        for column in response.context["board"].columns
    }


def test_board_shows_the_agents_clients_by_stage_without_pooled_leads(
    personas, client_for, own, shared, colleagues, pooled
):
    qualified = make_client(personas.agent.user, stage=Stage.QUALIFIED)
    lost = make_client(personas.agent.user, stage=Stage.LOST)
    response = client_for("agent").get(url("pipeline"))
    assert response.status_code == 200
    cards = board_cards(response)
    assert cards[Stage.NEW] == {own.pk, shared.pk}
    assert cards[Stage.QUALIFIED] == {qualified.pk}
    assert lost.pk not in set().union(*cards.values())
    assert {stage: count for stage, _, count in response.context["board"].closed} == {
        "closed": 0,
        "lost": 1,
    }
    assert 'src="/static/js/pipeline.js"' in response.content.decode()


def test_broker_board_has_every_agents_clients(client_for, own, shared, colleagues):
    cards = board_cards(client_for("broker").get(url("pipeline")))
    assert cards[Stage.NEW] == {own.pk, shared.pk, colleagues.pk}


def test_board_filters_by_agent(personas, client_for, own, colleagues):
    response = client_for("broker").get(url("pipeline"), {"assigned_agent": personas.agent.pk})
    assert board_cards(response)[Stage.NEW] == {own.pk}


def test_move_button_on_the_board_answers_with_the_redrawn_board(client_for, own):
    response = client_for("agent").post(
        url("stage", own.pk) + "?board=1", {"stage": Stage.CONTACTED}, **HTMX
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="pipeline-board"')
    assert "Jane Doe moved to Contacted." in content
    assert board_cards(response)[Stage.CONTACTED] == {own.pk}
    own.refresh_from_db()
    assert own.stage == Stage.CONTACTED


def test_board_keeps_its_filters_after_a_move(personas, client_for, own):
    other = make_client(personas.agent.user, first_name="Other")
    response = client_for("agent").post(
        url("stage", own.pk) + f"?board=1&q=jane&assigned_agent={personas.agent.pk}",
        {"stage": Stage.CONTACTED},
        **HTMX,
    )
    cards = board_cards(response)
    assert cards[Stage.CONTACTED] == {own.pk}
    assert other.pk not in cards[Stage.NEW]


def test_cards_the_person_may_only_read_have_no_move_buttons(personas, client_for):
    read_only = make_client(personas.colleague.user, first_name="Readonly")
    client_share(client=read_only, agent=personas.agent, actor=personas.colleague.user)
    response = client_for("agent").get(url("pipeline"))
    assert board_cards(response)[Stage.NEW] == {read_only.pk}
    content = response.content.decode()
    assert url("stage", read_only.pk) not in content
    assert 'draggable="true"' not in content


def test_board_query_count_does_not_grow_with_clients(
    personas, client_for, django_assert_max_num_queries
):
    agent = personas.agent.user
    for n, stage in enumerate(list(Stage) * 4):
        make_client(agent, first_name=f"Card{n}", stage=stage, tags=["x"])
    client = client_for("agent")
    # session, user, agent with role, counts by stage, the cards, which may move, the filter
    # form's three choice lists
    with django_assert_max_num_queries(10):
        response = client.get(url("pipeline"))
    assert sum(len(cards) for cards in board_cards(response).values()) == 20


def test_board_column_shows_at_most_its_limit_and_counts_the_rest(personas):
    for n in range(3):
        make_client(personas.agent.user, first_name=f"Many{n}")
    user = personas.agent.user
    board = pipeline_board(clients=restrict(Client.objects.all(), user), user=user, limit=2)
    new_column = board.columns[0]
    assert (new_column.stage, new_column.count, len(new_column.cards)) == (Stage.NEW, 3, 2)
    assert new_column.hidden_count == 1


# ---------- tasks ----------


def make_task(actor, **data):
    data.setdefault("title", "Call back")
    data.setdefault("due_date", timezone.localdate())
    return task_create(data=data, actor=actor)


def test_tasks_page_groups_the_agents_open_tasks(personas, client_for, own):
    agent = personas.agent.user
    today = timezone.localdate()
    late = make_task(agent, title="Late one", due_date=today - timedelta(days=2))
    now = make_task(agent, title="Today one", client=own)
    later = make_task(agent, title="Later one", due_date=today + timedelta(days=3))
    done = make_task(agent, title="Done one")
    task_complete(task=done, actor=agent)
    make_task(personas.colleague.user, title="Not mine")
    response = client_for("agent").get(url("tasks"))
    groups = {key: [t.pk for t in tasks] for key, _, tasks in response.context["groups"]}
    assert groups == {"overdue": [late.pk], "today": [now.pk], "upcoming": [later.pk], "done": []}
    content = response.content.decode()
    assert "Not mine" not in content
    assert "Jane Doe" in content


def test_done_tasks_are_listed_on_request(personas, client_for):
    agent = personas.agent.user
    done = make_task(agent, title="Finished")
    task_complete(task=done, actor=agent)
    make_task(agent, title="Open")
    response = client_for("agent").get(url("tasks"), {"done": "true"})
    assert listed_pks(response) == {done.pk}


def test_broker_looks_at_an_agents_tasks(personas, client_for):
    task = make_task(personas.agent.user)
    make_task(personas.broker.user, title="Broker's own")
    response = client_for("broker").get(url("tasks"), {"assigned_agent": personas.agent.pk})
    assert listed_pks(response) == {task.pk}
    assert listed_pks(client_for("broker").get(url("tasks"))) != {task.pk}


def test_tasks_empty_state_says_what_to_do_next(client_for):
    content = client_for("agent").get(url("tasks")).content.decode()
    assert "Nothing to do" in content
    assert url("task-create") in content


def test_tasks_page_query_count_does_not_grow_with_tasks(
    personas, client_for, own, django_assert_max_num_queries
):
    agent = personas.agent.user
    today = timezone.localdate()
    for n in range(15):
        make_task(agent, title=f"T{n}", client=own, due_date=today + timedelta(days=n - 5))
    client = client_for("agent")
    # session, user, agent with role, count, the page with clients and agents
    with django_assert_max_num_queries(6):
        response = client.get(url("tasks"))
    assert len(response.context["object_list"]) == 15


def test_agent_adds_a_task_on_its_page(personas, client_for, own):
    due = (timezone.localdate() + timedelta(days=1)).isoformat()
    page = client_for("agent")
    assert page.get(url("task-create"), {"client": own.pk}).context["form"].initial["client"]
    response = page.post(
        url("task-create"),
        {"title": "Send comps", "due_date": due, "priority": "high", "client": own.pk},
    )
    assert response.status_code == 302
    assert response["Location"] == url("tasks")
    task = Task.objects.get(title="Send comps")
    assert task.assigned_agent == personas.agent
    assert task.client == own


def test_task_added_from_the_client_page_answers_with_its_tasks(client_for, own):
    response = client_for("agent").post(
        url("task-create"),
        {
            "title": "Book a showing",
            "due_date": timezone.localdate().isoformat(),
            "priority": "normal",
            "client": own.pk,
        },
        **HTMX,
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith('<section class="card" id="client-tasks"')
    assert "Book a showing" in content
    assert Task.objects.filter(title="Book a showing", client=own).exists()


def test_task_without_a_title_keeps_what_was_typed(client_for, own):
    response = client_for("agent").post(
        url("task-create"),
        {"title": "", "due_date": "2030-01-02", "priority": "normal", "client": own.pk},
        **HTMX,
    )
    content = response.content.decode()
    assert "This field is required." in content
    assert 'value="2030-01-02"' in content
    assert not Task.objects.exists()


def test_agent_cannot_add_a_task_about_a_colleagues_client(client_for, colleagues):
    response = client_for("agent").post(
        url("task-create"),
        {"title": "Poach", "due_date": "2030-01-02", "priority": "normal", "client": colleagues.pk},
    )
    assert response.status_code == 200
    assert "client" in response.context["form"].errors
    assert not Task.objects.exists()


def test_viewer_cannot_add_a_task(client_for):
    assert client_for("viewer").get(url("task-create")).status_code == 403


def test_agent_edits_and_completes_a_task_on_its_page(personas, client_for):
    task = make_task(personas.agent.user)
    page = client_for("agent")
    response = page.get(url("task-edit", task.pk))
    assert response.status_code == 200
    response = page.post(
        url("task-edit", task.pk),
        {"title": "Call back tomorrow", "due_date": "2030-01-03", "priority": "low", "done": "on"},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.title == "Call back tomorrow"
    assert task.is_done


@pytest.mark.parametrize("persona", ["colleague", "viewer", "stranger", "assistant"])
def test_others_cannot_open_or_complete_the_agents_task(personas, client_for, persona):
    task = make_task(personas.agent.user)
    client = client_for(persona)
    assert client.get(url("task-edit", task.pk)).status_code == 404
    assert client.post(url("task-complete", task.pk)).status_code == 404
    task.refresh_from_db()
    assert not task.is_done


def test_broker_completes_an_agents_task(personas, client_for):
    task = make_task(personas.agent.user)
    assert client_for("broker").post(url("task-complete", task.pk)).status_code == 302
    task.refresh_from_db()
    assert task.is_done


def test_complete_with_htmx_answers_with_the_done_row(personas, client_for):
    task = make_task(personas.agent.user, title="Send the contract")
    response = client_for("agent").post(url("task-complete", task.pk), **HTMX)
    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith(f'<li class="task-row task-row--done" id="task-{task.pk}"')
    assert "Done!" in content
    task.refresh_from_db()
    assert task.is_done


def test_complete_without_htmx_goes_back_where_it_came_from(personas, client_for, own):
    task = make_task(personas.agent.user, client=own)
    response = client_for("agent").post(
        url("task-complete", task.pk), {"next": own.get_absolute_url()}
    )
    assert response["Location"] == own.get_absolute_url()


def test_complete_never_redirects_to_another_site(personas, client_for):
    task = make_task(personas.agent.user)
    response = client_for("agent").post(
        url("task-complete", task.pk), {"next": "https://evil.example/"}
    )
    assert response["Location"] == url("tasks")


def test_client_page_lists_open_tasks_with_a_form_to_add_one(personas, client_for, own):
    make_task(personas.agent.user, title="Ask for pre-approval letter", client=own)
    content = client_for("agent").get(url("detail", own.pk)).content.decode()
    assert "Ask for pre-approval letter" in content
    assert f'hx-post="{url("task-create")}"' in content
