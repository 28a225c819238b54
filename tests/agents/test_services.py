import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError

from agents.choices import Role
from agents.services.people import agent_create, agent_set_role, agent_update
from realestate.permissions import actor_for

pytestmark = pytest.mark.django_db


def test_role_groups_exist_after_migrating():
    assert set(Group.objects.values_list("name", flat=True)) >= {r.label for r in Role}
    broker_perms = set(
        Group.objects.get(name="Broker").permissions.values_list("codename", flat=True)
    )
    assert {"change_agent", "add_office", "change_property", "delete_propertymedia"} <= broker_perms


def test_brokers_cannot_delete_listings_or_history_nor_read_the_global_audit_log():
    broker_perms = set(
        Group.objects.get(name="Broker").permissions.values_list("codename", flat=True)
    )
    forbidden = {"delete_property", "delete_pricechange", "delete_statuschange", "view_logentry"}
    assert not forbidden & broker_perms
    assert "delete_brokerage" not in broker_perms


def test_an_agent_is_created_with_one_role_and_a_login(personas):
    agent = agent_create(
        brokerage=personas.brokerage,
        username="dana",
        first_name="Dana",
        last_name="Diaz",
        password="a-long-enough-password",
        role=Role.AGENT,
        license_number="IL-123",
    )
    assert agent.name == "Dana Diaz"
    assert agent.user.check_password("a-long-enough-password")
    assert actor_for(agent.user).role == Role.AGENT
    assert not agent.user.is_staff


def test_an_agent_without_a_username_is_refused_and_nothing_is_saved(personas):
    from django.contrib.auth import get_user_model

    before = get_user_model().objects.count()
    with pytest.raises(ValidationError):
        agent_create(brokerage=personas.brokerage, username="")
    assert get_user_model().objects.count() == before


def test_changing_a_role_replaces_the_old_one(personas):
    agent_set_role(agent=personas.agent, role=Role.BROKER)
    user = personas.agent.user
    user.refresh_from_db()
    assert list(user.groups.values_list("name", flat=True)) == ["Broker"]
    assert user.is_staff
    agent_set_role(agent=personas.agent, role=Role.VIEWER)
    user.refresh_from_db()
    assert list(user.groups.values_list("name", flat=True)) == ["Viewer"]
    assert not user.is_staff


def test_an_agent_edits_their_own_contact_details_but_not_their_licence(personas):
    agent_update(agent=personas.agent, data={"phone": "555-0101"}, actor=personas.agent.user)
    personas.agent.refresh_from_db()
    assert personas.agent.phone == "555-0101"
    with pytest.raises(PermissionDenied):
        agent_update(agent=personas.agent, data={"license_number": "X"}, actor=personas.agent.user)


def test_a_broker_edits_an_agents_licence(personas):
    agent_update(agent=personas.agent, data={"license_number": "IL-9"}, actor=personas.broker.user)
    personas.agent.refresh_from_db()
    assert personas.agent.license_number == "IL-9"


def test_a_colleague_cannot_edit_another_agents_profile(personas):
    with pytest.raises(PermissionDenied):
        agent_update(agent=personas.agent, data={"phone": "1"}, actor=personas.colleague.user)


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        ((Role.AGENT, Role.BROKER), Role.BROKER),
        ((Role.VIEWER, Role.ASSISTANT), Role.ASSISTANT),
        ((Role.VIEWER, Role.AGENT, Role.ASSISTANT), Role.AGENT),
        ((), Role.VIEWER),
    ],
)
def test_a_person_in_several_role_groups_acts_with_the_highest_in_one_query(
    personas, django_assert_num_queries, groups, expected
):
    from agents.selectors import agent_role_for_user

    user = personas.assistant.user
    user.groups.set([Group.objects.get_or_create(name=role.label)[0] for role in groups])
    Group.objects.get_or_create(name="Newsletter editors")[0].user_set.add(user)

    with django_assert_num_queries(1):
        agent, role = agent_role_for_user(user=user)
        brokerage_name = agent.brokerage.name  # loaded with the profile

    assert (agent, role) == (personas.assistant, expected)
    assert brokerage_name == personas.brokerage.name


def test_a_deactivated_agent_has_no_profile_and_no_role(personas):
    from agents.selectors import agent_role_for_user

    personas.colleague.is_active = False
    personas.colleague.save(update_fields=["is_active"])

    assert agent_role_for_user(user=personas.colleague.user) == (None, None)
