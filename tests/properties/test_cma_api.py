"""POST /api/v1/market/cma/ and the saved CMAs, for every persona."""

from datetime import timedelta
from decimal import Decimal

import pytest

from properties.models import CMA
from tests.properties.sales import AS_OF, LAT, LON, make_sales, subject_features
from tests.testing.factories import make_client, make_listing

pytestmark = pytest.mark.django_db

URL = "/api/v1/market/cma/"
BROKERAGE_A = ("agent", "colleague", "assistant", "viewer", "broker")


@pytest.fixture
def sales(personas):
    return make_sales(personas.agent.user)


def run(api, subject, **extra):
    return api.post(URL, {"as_of": AS_OF.isoformat(), "subject": subject, **extra}, format="json")


@pytest.mark.parametrize("name", BROKERAGE_A)
def test_brokerage_members_run_a_cma_from_features(api_for, sales, name):
    response = run(api_for(name), subject_features())

    assert response.status_code == 200, response.content
    body = response.json()
    assert Decimal(body["estimate"]) > 0
    assert Decimal(body["low"]) < Decimal(body["estimate"]) < Decimal(body["high"])
    assert 0 < body["confidence"] <= 100
    assert len(body["comparables"]) >= 6
    total = sum(Decimal(c["contribution"]) for c in body["comparables"])
    assert total == Decimal(body["estimate"])
    for comp in body["comparables"]:
        adjusted = Decimal(comp["close_price"]) + sum(
            Decimal(a["amount"]) for a in comp["adjustments"]
        )
        assert adjusted == Decimal(comp["adjusted_price"])
        assert comp["close_date"] < AS_OF.isoformat()
        assert comp["distance_miles"] <= body["search_steps"][-1]["radius_miles"]


def test_a_listing_subject_is_never_its_own_comp(api_for, personas, sales):
    subject = sales[0]
    response = run(api_for("agent"), {"property": subject.pk})

    assert response.status_code == 200, response.content
    keys = {c["property"] for c in response.json()["comparables"]}
    assert subject.pk not in keys
    assert response.json()["subject"]["LivingArea"] == subject.living_area


def test_sales_after_the_as_of_date_never_leak(api_for, personas, sales):
    late = make_sales(personas.agent.user, count=3, as_of=AS_OF + timedelta(days=60))
    late = [s for s in late if s.close_date >= AS_OF]
    assert late
    body = run(api_for("agent"), subject_features()).json()

    keys = {c["property"] for c in body["comparables"]}
    assert not keys & {s.pk for s in late}
    forced = run(api_for("agent"), subject_features(), include=[late[0].pk]).json()
    assert late[0].pk not in {c["property"] for c in forced["comparables"]}


def test_agent_excludes_and_adds_comps_and_reruns(api_for, sales):
    api = api_for("agent")
    first = run(api, subject_features()).json()
    used = [c["property"] for c in first["comparables"]]
    unused = [s.pk for s in sales if s.pk not in used]

    again = run(api, subject_features(), exclude=[used[0]], include=unused[:1]).json()
    keys = [c["property"] for c in again["comparables"]]
    assert used[0] not in keys
    if unused:
        added = next(c for c in again["comparables"] if c["property"] == unused[0])
        assert added["added_by_agent"]


def test_stranger_sees_no_sales_and_no_listing_of_another_brokerage(api_for, sales):
    api = api_for("stranger")
    assert run(api, {"property": sales[0].pk}).status_code == 404
    body = run(api, subject_features()).json()
    assert body["estimate"] is None
    assert body["comparables"] == []


def test_anonymous_is_refused(api_for, sales):
    assert run(api_for("anonymous"), subject_features()).status_code in (401, 403)
    assert api_for("anonymous").get(URL).status_code in (401, 403)


def test_bad_features_are_named(api_for, sales):
    response = run(api_for("agent"), {"LivingArea": "big"})
    assert response.status_code == 400
    assert "Latitude" in str(response.json())


def test_agent_saves_with_client_and_listing_privately(api_for, personas, sales):
    listing = make_listing(personas.agent.user, latitude=LAT, longitude=LON)
    client = make_client(personas.agent.user)
    response = run(
        api_for("agent"),
        {"property": listing.pk},
        save=True,
        client=client.pk,
    )
    assert response.status_code == 201, response.content
    cma = CMA.objects.get(pk=response.json()["id"])
    assert cma.client == client and cma.listing == listing
    assert cma.created_by == personas.agent.user
    assert str(cma.estimate) == response.json()["estimate"]

    assert api_for("agent").get(f"{URL}{cma.pk}/").status_code == 200
    assert api_for("broker").get(f"{URL}{cma.pk}/").status_code == 200
    assert api_for("colleague").get(f"{URL}{cma.pk}/").status_code == 404
    assert api_for("stranger").get(f"{URL}{cma.pk}/").status_code == 404
    assert [row["id"] for row in api_for("colleague").get(URL).json()["results"]] == []


@pytest.mark.parametrize("name", ("viewer", "stranger"))
def test_who_may_not_save_saves_nothing(api_for, personas, sales, name):
    client = make_client(personas.agent.user)
    response = run(api_for(name), subject_features(), save=True, client=client.pk)
    assert response.status_code in (403, 404)
    assert not CMA.objects.exists()


def test_colleague_cannot_attach_a_cma_to_anothers_client(api_for, personas, sales):
    client = make_client(personas.agent.user)
    response = run(api_for("colleague"), subject_features(), save=True, client=client.pk)
    assert response.status_code == 404
    assert not CMA.objects.exists()


def test_saved_list_query_count(api_for, personas, sales, django_assert_num_queries):
    api = api_for("broker")
    for _ in range(3):
        assert run(api, subject_features(), save=True).status_code == 201
    with django_assert_num_queries(2):
        response = api.get(URL)
    assert response.json()["count"] == 3


def test_a_subject_property_that_is_not_an_id_is_refused(api_for, sales):
    response = run(api_for("agent"), {"property": "abc"})
    assert response.status_code == 400
