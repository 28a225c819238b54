"""Duplicate clients: found by email, phone or name and postal code; merged with nothing lost."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import get_perms

from clients.choices import ActivityKind
from clients.models import (
    Activity,
    BuyerPreference,
    Client,
    RoutingDecision,
    SavedSearch,
    Showing,
    Task,
)
from clients.services.merge import client_duplicates, client_merge
from clients.services.people import activity_log, buyer_preference_save, client_share, task_create
from clients.services.routing import lead_route
from compliance.models import ConsentRecord
from tests.testing.factories import make_agent, make_client, make_listing

pytestmark = pytest.mark.django_db


def pair_names(pairs):
    return {(pair.first.first_name, pair.second.first_name) for pair in pairs}


# ---------- finding duplicates ----------


def test_duplicates_share_an_email_a_phone_or_a_name_and_postal_code(personas):
    agent = personas.agent.user
    make_client(agent, first_name="A1", email="a@example.com", phone="")
    make_client(agent, first_name="A2", email="", alternate_email="a@example.com", phone="")
    make_client(agent, first_name="B1", email="b1@example.com", phone="2175550101")
    make_client(agent, first_name="B2", email="b2@example.com", phone="217-555-0101")
    make_client(
        agent, first_name="Jo", last_name="Ray", email="j1@example.com", postal_code="62701"
    )
    make_client(
        agent, first_name="jo", last_name="RAY", email="j2@example.com", postal_code="62701"
    )
    make_client(agent, first_name="Solo", email="solo@example.com")

    pairs = client_duplicates(user=agent)

    assert pair_names(pairs) == {("A1", "A2"), ("B1", "B2"), ("Jo", "jo")}
    reasons = {pair.first.first_name: pair.reasons for pair in pairs}
    assert reasons["A1"] == ("Same email (a@example.com)",)
    assert reasons["B1"] == ("Same phone (+12175550101)",)
    assert reasons["Jo"] == ("Same name and postal code",)


def test_a_group_is_paired_with_its_oldest_client(personas):
    for name in ("Old", "Mid", "New"):
        make_client(personas.agent.user, first_name=name, email="same@example.com")
    assert pair_names(client_duplicates(user=personas.agent.user)) == {
        ("Old", "Mid"),
        ("Old", "New"),
    }


def test_only_clients_one_may_see_are_compared(personas):
    make_client(personas.agent.user, first_name="Mine", email="same@example.com")
    make_client(personas.colleague.user, first_name="Theirs", email="same@example.com")
    make_client(personas.stranger.user, first_name="Elsewhere", email="same@example.com")

    assert client_duplicates(user=personas.agent.user) == []
    assert client_duplicates(user=personas.stranger.user) == []
    assert pair_names(client_duplicates(user=personas.broker.user)) == {("Mine", "Theirs")}


# ---------- merging ----------


@pytest.fixture
def twins(personas):
    agent = personas.agent.user
    keep = make_client(
        agent, first_name="Ana", last_name="Lopez", email="ana@example.com", phone="", city=""
    )
    merge = make_client(
        agent,
        first_name="Anita",
        last_name="Lopez",
        email="anita@example.com",
        phone="2175550101",
        city="Springfield",
        notes="Met at the open house",
        tags=["vip"],
        do_not_call=True,
        preference={"cities": ["Springfield"]},
    )
    return keep, merge


def related_totals(*clients):
    """How many rows of each model point at these clients, for every relation to Client."""
    pks = [client.pk for client in clients]
    return {
        relation.related_model._meta.label: relation.related_model._base_manager.filter(
            **{f"{relation.field.name}__in": pks}
        ).count()
        for relation in Client._meta.related_objects
    }


def test_a_merge_moves_everything_and_deletes_the_duplicate(personas, twins):
    keep, merge = twins
    agent = personas.agent.user
    listing = make_listing(agent)
    activity_log(client=merge, kind=ActivityKind.CALL, subject="Called Anita", actor=agent)
    task_create(
        data={"title": "Send comps", "client": merge, "due_date": date.today()}, actor=agent
    )
    starts = timezone.now() + timedelta(days=1)
    Showing.objects.create(
        brokerage=personas.brokerage,
        listing=listing,
        client=merge,
        agent=personas.agent,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
    )
    SavedSearch.objects.create(client=merge, brokerage=personas.brokerage, name="Springfield")
    RoutingDecision.objects.create(client=merge, outcome="claimed", reason="Claimed at a show")
    before = related_totals(keep, merge)

    client_merge(keep=keep, merge=merge, actor=agent)

    assert not Client.objects.filter(pk=merge.pk).exists()
    after = related_totals(keep)
    # Nothing pointing at either client is lost; the merge adds its own timeline line, and
    # the consent log records that keep now honours the duplicate's "do not call".
    assert after == {
        **before,
        Activity._meta.label: before[Activity._meta.label] + 1,
        ConsentRecord._meta.label: before[ConsentRecord._meta.label] + 1,
    }
    assert Task.objects.get().client == keep
    assert Showing.objects.get().client == keep
    assert SavedSearch.objects.get().client == keep
    assert BuyerPreference.objects.get().client == keep  # keep had none
    assert keep.activities.filter(subject="Called Anita").exists()
    merged = keep.activities.first()
    assert (merged.kind, merged.subject) == (ActivityKind.SYSTEM, "Merged Anita Lopez")


def test_a_merge_fills_blanks_and_never_overwrites(personas, twins):
    keep, merge = twins

    client_merge(keep=keep, merge=merge, actor=personas.agent.user)

    keep.refresh_from_db()
    assert (keep.first_name, keep.email) == ("Ana", "ana@example.com")
    assert keep.alternate_email == "anita@example.com"
    assert (keep.phone, keep.city) == ("+12175550101", "Springfield")
    assert keep.notes == "Met at the open house"
    assert keep.do_not_call  # a do-not-call either record carries is honoured
    assert list(keep.tags.values_list("name", flat=True)) == ["vip"]


def test_keeps_own_preference_stays(personas, twins):
    keep, merge = twins
    buyer_preference_save(client=keep, data={"cities": ["Peoria"]}, actor=personas.agent.user)

    client_merge(keep=keep, merge=merge, actor=personas.agent.user)

    assert BuyerPreference.objects.get().cities == ["Peoria"]


def test_people_the_merged_client_was_shared_with_keep_access(personas):
    keep = make_client(personas.agent.user, email="k@example.com", co_agents=[personas.assistant])
    merge = make_client(personas.colleague.user, email="m@example.com")
    newcomer = make_agent(personas.brokerage)
    client_share(client=merge, agent=newcomer, actor=personas.colleague.user)

    client_merge(keep=keep, merge=merge, actor=personas.broker.user)

    # The merged client's agent shares the client they had; whoever it was shared with too.
    assert set(keep.co_agents.all()) == {personas.assistant, personas.colleague}
    assert "change_client" in get_perms(personas.colleague.user, keep)
    assert get_perms(newcomer.user, keep) == ["view_client"]


def test_clients_of_two_brokerages_are_never_merged(personas):
    mine = make_client(personas.agent.user)
    theirs = make_client(personas.stranger.user)
    with pytest.raises(ValidationError):
        client_merge(keep=mine, merge=theirs, actor=personas.agent.user)
    assert Client.objects.count() == 2


def test_an_agent_cannot_merge_a_client_they_cannot_change(personas):
    mine = make_client(personas.agent.user)
    theirs = make_client(personas.colleague.user)
    with pytest.raises(PermissionDenied):
        client_merge(keep=mine, merge=theirs, actor=personas.agent.user)
    with pytest.raises(PermissionDenied):
        client_merge(keep=mine, merge=make_client(personas.agent.user), actor=personas.viewer.user)
    assert Client.objects.count() == 3


def test_a_client_is_not_merged_into_itself(personas):
    mine = make_client(personas.agent.user)
    with pytest.raises(ValidationError):
        client_merge(keep=mine, merge=mine, actor=personas.agent.user)


def test_a_merged_lead_keeps_its_routing_history(personas):
    keep = make_client(personas.broker.user, email="k@example.com")
    lead = Client.objects.create(brokerage=personas.brokerage, email="lead@example.com")
    lead_route(client=lead)

    client_merge(keep=keep, merge=lead, actor=personas.broker.user)

    assert keep.routing_decisions.count() == 1


# ---------- the duplicates page and merging on it ----------

DUPLICATES = reverse("clients:duplicates")
MERGE = reverse("clients:merge")


@pytest.mark.parametrize(
    ("persona", "pairs", "can_merge"),
    [
        ("agent", 1, True),
        ("colleague", 0, None),
        ("assistant", 0, None),
        ("viewer", 0, None),
        ("broker", 1, True),
        ("stranger", 0, None),
    ],
)
def test_the_duplicates_page_for_every_persona(
    client_for, personas, twins, persona, pairs, can_merge
):
    twins[1].email = "ana@example.com"
    twins[1].save()

    response = client_for(persona).get(DUPLICATES)

    assert response.status_code == 200
    assert len(response.context["pairs"]) == pairs
    if pairs:
        assert response.context["pairs"][0][1] is can_merge
        assert "Keep Ana Lopez" in response.content.decode()
    else:
        assert "No duplicates found" in response.content.decode()


def test_the_duplicates_page_asks_the_anonymous_visitor_to_sign_in(client_for):
    response = client_for("anonymous").get(DUPLICATES)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_duplicates_page_has_a_constant_query_count(client_for, personas):
    client = client_for("broker")
    make_client(personas.agent.user, email="x@example.com")
    make_client(personas.agent.user, email="x@example.com")
    client.get(DUPLICATES)
    with CaptureQueriesContext(connection) as few:
        client.get(DUPLICATES)
    for n in range(8):
        make_client(personas.agent.user, email=f"d{n}@example.com")
        make_client(personas.colleague.user, email=f"d{n}@example.com")
    with CaptureQueriesContext(connection) as many:
        response = client.get(DUPLICATES)
    assert len(response.context["pairs"]) == 9
    assert len(many) == len(few)


def test_merging_on_the_page(client_for, personas, twins):
    keep, merge = twins

    response = client_for("agent").post(MERGE, {"keep": merge.pk, "merge": keep.pk})

    assert response.status_code == 302 and response.url == merge.get_absolute_url()
    assert list(Client.objects.values_list("pk", flat=True)) == [merge.pk]


@pytest.mark.parametrize(("persona", "status"), [("stranger", 404), ("colleague", 404)])
def test_others_cannot_merge_on_the_page(client_for, twins, persona, status):
    keep, merge = twins
    assert client_for(persona).post(MERGE, {"keep": keep.pk, "merge": merge.pk}).status_code == (
        status
    )
    assert Client.objects.count() == 2


def test_a_viewer_cannot_merge_pooled_leads(client_for, personas):
    a = Client.objects.create(brokerage=personas.brokerage, email="p@example.com", in_pond=True)
    b = Client.objects.create(brokerage=personas.brokerage, email="p@example.com", in_pond=True)
    assert client_for("viewer").post(MERGE, {"keep": a.pk, "merge": b.pk}).status_code == 403
    assert client_for("agent").post(MERGE, {"keep": a.pk, "merge": b.pk}).status_code == 403
    assert Client.objects.count() == 2


def test_merging_needs_a_post_and_numbers(client_for, twins):
    client = client_for("agent")
    assert client.get(MERGE).status_code == 405
    assert client.post(MERGE, {"keep": "x", "merge": "1"}).status_code == 404


def test_the_anonymous_visitor_cannot_merge(client_for, twins):
    keep, merge = twins
    response = client_for("anonymous").post(MERGE, {"keep": keep.pk, "merge": merge.pk})
    assert response.status_code == 302
    assert Client.objects.count() == 2


# ---------- the API ----------


def test_the_api_lists_duplicates_and_merges(api_for, personas, twins):
    keep, merge = twins
    merge.email = keep.email
    merge.save()
    api = api_for("agent")

    pairs = api.get(reverse("client-duplicates")).json()
    assert pairs == [
        {
            "first": {"id": keep.pk, "name": keep.name, "email": keep.email, "phone": ""},
            "second": {
                "id": merge.pk,
                "name": merge.name,
                "email": merge.email,
                "phone": merge.phone,
            },
            "reasons": ["Same email (ana@example.com)"],
        }
    ]
    response = api.post(reverse("client-merge"), {"keep": keep.pk, "merge": merge.pk})
    assert response.status_code == 200
    assert response.json() == {"id": keep.pk, "merged": merge.pk}
    assert list(Client.objects.values_list("pk", flat=True)) == [keep.pk]


@pytest.mark.parametrize(("persona", "status"), [("colleague", 400), ("stranger", 400)])
def test_the_api_does_not_merge_clients_one_cannot_see(api_for, twins, persona, status):
    keep, merge = twins
    response = api_for(persona).post(reverse("client-merge"), {"keep": keep.pk, "merge": merge.pk})
    assert response.status_code == status
    assert Client.objects.count() == 2


def test_the_api_refuses_the_anonymous_caller(api_for):
    assert api_for("anonymous").get(reverse("client-duplicates")).status_code == 401
