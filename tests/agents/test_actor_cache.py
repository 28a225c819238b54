"""The cached agent profile and role behind every permission decision: read once, then from
the cache, and dropped whenever what it holds changes."""

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import transaction

from agents.choices import Role
from agents.selectors import actor_cache_key, agent_role_for_user
from agents.services.people import agent_set_role
from realestate.permissions import restrict
from tests.testing.factories import make_agent, make_brokerage, make_listing

# Outside a transaction, as a request runs: inside one the cache is not used at all.
pytestmark = pytest.mark.django_db(transaction=True)


def fresh(user):
    """The user as the next request loads them (no per-object cache)."""
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def agent():
    return make_agent(make_brokerage("Harbor Homes"), role=Role.BROKER)


def test_a_second_request_reads_the_profile_and_role_without_a_query(
    agent, django_assert_num_queries
):
    user = fresh(agent.user)
    with django_assert_num_queries(1):
        first, role = agent_role_for_user(user=user)
    user = fresh(agent.user)
    with django_assert_num_queries(0):
        second, cached_role = agent_role_for_user(user=user)
    assert (first.pk, role) == (second.pk, cached_role) == (agent.pk, Role.BROKER)
    with django_assert_num_queries(0):
        assert second.brokerage.name == "Harbor Homes"


def test_each_request_gets_its_own_instances(agent):
    first, _ = agent_role_for_user(user=fresh(agent.user))
    first.phone = "555-0100"
    first.brokerage.name = "Changed in memory only"
    second, _ = agent_role_for_user(user=fresh(agent.user))
    assert second is not first
    assert second.phone == agent.phone
    assert second.brokerage.name == "Harbor Homes"


def test_a_user_without_an_agent_profile_is_cached_as_such(django_user_model):
    user = django_user_model.objects.create_user("someone")
    assert agent_role_for_user(user=fresh(user)) == (None, None)
    assert cache.get(actor_cache_key(user.pk)) == (None, None)


def test_a_role_change_is_seen_by_the_next_request(agent):
    assert agent_role_for_user(user=fresh(agent.user))[1] == Role.BROKER
    agent_set_role(agent=agent, role=Role.VIEWER)
    assert agent_role_for_user(user=fresh(agent.user))[1] == Role.VIEWER


def test_a_deactivated_agent_loses_their_profile_at_once(agent):
    listing = make_listing(agent.user)
    assert restrict(type(listing).objects.all(), fresh(agent.user)).count() == 1
    agent.is_active = False
    agent.save()
    user = fresh(agent.user)
    assert agent_role_for_user(user=user) == (None, None)
    assert restrict(type(listing).objects.all(), user).count() == 0


def test_a_renamed_brokerage_is_seen_by_its_agents(agent):
    agent_role_for_user(user=fresh(agent.user))
    brokerage = agent.brokerage
    brokerage.name = "Harbor & Hill Homes"
    brokerage.save()
    cached, _ = agent_role_for_user(user=fresh(agent.user))
    assert cached.brokerage.name == "Harbor & Hill Homes"


def test_renaming_a_role_group_changes_its_members_roles(agent):
    agent_role_for_user(user=fresh(agent.user))
    group = Group.objects.get(name=Role.BROKER.label)
    group.name = "Former brokers"
    group.save()
    # No role group left: the least a member of the brokerage may do.
    assert agent_role_for_user(user=fresh(agent.user))[1] == Role.VIEWER


@pytest.mark.parametrize("change", ["user.groups.clear", "group.user_set.remove", "group.clear"])
def test_membership_changes_from_either_side_are_seen(agent, change):
    agent_role_for_user(user=fresh(agent.user))
    group = Group.objects.get(name=Role.BROKER.label)
    if change == "user.groups.clear":
        agent.user.groups.clear()
    elif change == "group.user_set.remove":
        group.user_set.remove(agent.user)
    else:
        group.user_set.clear()
    assert agent_role_for_user(user=fresh(agent.user))[1] == Role.VIEWER


def test_a_membership_added_from_the_group_side_is_seen(agent):
    other = make_agent(agent.brokerage, role=Role.VIEWER)
    assert agent_role_for_user(user=fresh(other.user))[1] == Role.VIEWER
    other.user.groups.clear()
    Group.objects.get(name=Role.BROKER.label).user_set.add(other.user)
    assert agent_role_for_user(user=fresh(other.user))[1] == Role.BROKER


def test_a_deleted_user_leaves_nothing_cached(agent):
    user = fresh(agent.user)
    agent_role_for_user(user=user)
    key = actor_cache_key(user.pk)
    assert cache.get(key) is not None
    user.delete()
    assert cache.get(key) is None


def test_inside_a_transaction_the_cache_is_neither_read_nor_written(
    agent, django_assert_num_queries
):
    key = actor_cache_key(agent.user_id)
    with transaction.atomic():
        with django_assert_num_queries(1):
            _, role = agent_role_for_user(user=agent.user)
        assert role == Role.BROKER
        assert cache.get(key) is None
        cache.set(key, (None, None))  # an entry another process wrote meanwhile
        with django_assert_num_queries(1):
            assert agent_role_for_user(user=agent.user)[1] == Role.BROKER


def test_an_entry_cached_while_a_change_was_uncommitted_is_dropped_on_commit(agent):
    key = actor_cache_key(agent.user_id)
    with transaction.atomic():
        agent_set_role(agent=agent, role=Role.VIEWER)
        # Another request, not seeing the uncommitted change, caches the old role.
        cache.set(key, (agent, Role.BROKER))
    assert cache.get(key) is None
    assert agent_role_for_user(user=fresh(agent.user))[1] == Role.VIEWER
