import pytest

from agents.models import Agent, Brokerage
from properties.models import PriceChange, Property
from properties.services import listing_share
from realestate.permissions import CHANGE, DELETE, VIEW, can, can_add, restrict
from tests.testing.factories import make_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def listings(personas):
    return {
        "agent": make_listing(personas.agent.user),
        "colleague": make_listing(personas.colleague.user),
        "stranger": make_listing(personas.stranger.user),
    }


def visible(user, model=Property, action=VIEW):
    return set(restrict(model.objects.all(), user, action))


def test_agent_sees_every_listing_of_their_brokerage_and_none_of_another(personas, listings):
    assert visible(personas.agent.user) == {listings["agent"], listings["colleague"]}


def test_stranger_sees_only_their_own_brokerage(personas, listings):
    assert visible(personas.stranger.user) == {listings["stranger"]}


def test_agent_changes_only_their_own_listing(personas, listings):
    assert visible(personas.agent.user, action=CHANGE) == {listings["agent"]}
    assert visible(personas.agent.user, action=DELETE) == {listings["agent"]}


def test_broker_changes_every_listing_of_their_brokerage(personas, listings):
    assert visible(personas.broker.user, action=CHANGE) == {
        listings["agent"],
        listings["colleague"],
    }


def test_viewer_reads_but_changes_nothing(personas, listings):
    assert visible(personas.viewer.user) == {listings["agent"], listings["colleague"]}
    assert visible(personas.viewer.user, action=CHANGE) == set()
    assert not can_add(personas.viewer.user, Property)


def test_listing_shared_for_change_becomes_editable_for_the_colleague(personas, listings):
    listing = listings["agent"]
    assert not can(personas.colleague.user, listing, CHANGE)
    listing_share(
        listing=listing, agent=personas.colleague, actor=personas.agent.user, can_change=True
    )
    assert can(personas.colleague.user, listing, CHANGE)
    assert not can(personas.colleague.user, listings["stranger"], CHANGE)


def test_child_rows_follow_their_listing(personas, listings):
    history = visible(personas.stranger.user, model=PriceChange)
    assert {change.property for change in history} == {listings["stranger"]}


def test_anonymous_and_users_without_a_profile_see_nothing(personas, listings, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    loner = django_user_model.objects.create(username="loner")
    assert visible(AnonymousUser()) == set()
    assert visible(loner) == set()


def test_agents_see_their_brokerage_and_colleagues_only(personas):
    assert visible(personas.agent.user, model=Brokerage) == {personas.brokerage}
    agents = visible(personas.stranger.user, model=Agent)
    assert agents == {personas.stranger}


def test_only_brokers_add_offices(personas):
    from agents.models import Office

    assert can_add(personas.broker.user, Office)
    assert not can_add(personas.agent.user, Office)
    assert can_add(personas.agent.user, Property)


def test_an_unknown_action_is_refused(personas):
    with pytest.raises(ValueError):
        restrict(Property.objects.all(), personas.agent.user, "publish")
