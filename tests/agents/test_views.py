"""The dashboard, the sign-in page and the app shell, for every persona."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from properties.models import Property, PropertyMedia
from properties.services import listing_archive, listing_update
from tests.testing.factories import make_listing

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("dashboard")


def test_anonymous_visitor_is_sent_to_login_from_the_dashboard(client_for):
    response = client_for("anonymous").get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "persona", ["agent", "colleague", "assistant", "viewer", "broker", "stranger"]
)
def test_every_brokerage_member_gets_their_dashboard(client_for, persona):
    response = client_for(persona).get(DASHBOARD)
    assert response.status_code == 200
    assert response.context["has_profile"]


def test_my_listings_shows_the_agents_own_listings_with_counts_by_status(personas, client_for):
    agent = personas.agent.user
    mine = [make_listing(agent, street_name=f"Mine{n}") for n in range(3)]
    listing_update(listing=mine[0], data={"standard_status": "Pending"}, actor=agent)
    archived = make_listing(agent, street_name="Gone")
    listing_archive(listing=archived, actor=agent)
    make_listing(personas.colleague.user, street_name="Theirs")
    response = client_for("agent").get(DASHBOARD)
    assert {listing.pk for listing in response.context["my_listings"]} == {m.pk for m in mine}
    counts = {value: count for value, _, count in response.context["my_status_counts"]}
    assert counts == {"Active": 2, "Pending": 1}
    assert response.context["my_total"] == 3
    assert "See all 3" in response.content.decode()


def test_my_listings_shows_at_most_eight(personas, client_for):
    for _ in range(10):
        make_listing(personas.agent.user)
    response = client_for("agent").get(DASHBOARD)
    assert len(response.context["my_listings"]) == 8
    assert response.context["my_total"] == 10


def test_new_this_week_shows_recent_brokerage_listings_only(personas, client_for):
    recent = make_listing(personas.colleague.user, street_name="Fresh")
    old = make_listing(personas.colleague.user, street_name="Stale")
    Property.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    make_listing(personas.stranger.user, street_name="Elsewhere")
    response = client_for("agent").get(DASHBOARD)
    assert [listing.pk for listing in response.context["new_this_week"]] == [recent.pk]
    content = response.content.decode()
    assert "Fresh" in content
    assert "Elsewhere" not in content


def test_recent_changes_show_old_and_new_values_newest_first(personas, client_for):
    agent = personas.agent.user
    listing = make_listing(agent, street_name="Birch")
    listing_update(listing=listing, data={"list_price": Decimal("329000")}, actor=agent)
    listing_update(listing=listing, data={"standard_status": "Pending"}, actor=agent)
    response = client_for("colleague").get(DASHBOARD)
    kinds = [change.kind for change in response.context["recent_changes"]]
    assert kinds[:2] == ["status", "price"]
    content = response.content.decode()
    assert "$350,000</span> → <strong>$329,000</strong>" in content
    assert "Active</span> → <strong>Pending</strong>" in content


def test_recent_changes_never_show_another_brokerage(personas, client_for):
    stranger = personas.stranger.user
    theirs = make_listing(stranger, street_name="Harbor")
    listing_update(listing=theirs, data={"list_price": Decimal("1")}, actor=stranger)
    response = client_for("agent").get(DASHBOARD)
    assert response.context["recent_changes"] == []
    assert "Harbor" not in response.content.decode()


def test_recent_changes_show_at_most_ten(personas, client_for):
    agent = personas.agent.user
    listing = make_listing(agent)
    for price in range(300000, 312000, 1000):
        listing_update(listing=listing, data={"list_price": Decimal(price)}, actor=agent)
    assert len(client_for("agent").get(DASHBOARD).context["recent_changes"]) == 10


def test_empty_dashboard_says_what_to_do_next(client_for):
    content = client_for("agent").get(DASHBOARD).content.decode()
    assert "Add a listing" in content
    assert "No listings were added in the last 7 days" in content
    assert "No price or status changes yet" in content


def test_viewer_is_not_offered_to_add_a_listing(client_for):
    content = client_for("viewer").get(DASHBOARD).content.decode()
    assert reverse("properties:create") not in content


def test_user_without_an_agent_profile_gets_a_friendly_message():
    user = get_user_model().objects.create_user(username="newcomer")
    client = Client()
    client.force_login(user)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert not response.context["has_profile"]
    assert "not linked to an agent profile" in response.content.decode()


def _brokerage_activity(personas, count):
    for n in range(count):
        owner = personas.agent.user if n % 2 else personas.colleague.user
        listing = make_listing(owner)
        listing_update(listing=listing, data={"list_price": Decimal("349000")}, actor=owner)
        PropertyMedia.objects.create(property=listing, media_url="https://mls.example/p.jpg")


@pytest.mark.parametrize("count", [3, 30])
def test_dashboard_uses_a_constant_number_of_queries(
    personas, client_for, django_assert_num_queries, count
):
    _brokerage_activity(personas, count)
    client = client_for("agent")
    # session, user, agent profile with role, new listings, my listings, status counts,
    # price changes, status changes (cards carry their cover photo: no photo queries)
    with django_assert_num_queries(8):
        response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert len(response.context["new_this_week"]) == min(count, 8)


# ---------- sign-in page and app shell ----------


def test_login_page_renders_a_sign_in_form():
    response = Client().get(reverse("login"))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="username"' in content
    assert 'name="password"' in content


def test_wrong_password_shows_an_error_and_keeps_the_username(personas):
    response = Client().post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "enter a correct username and password" in content
    assert 'value="alice"' in content


def test_shell_loads_vendored_htmx_and_sends_the_csrf_token(client_for):
    content = client_for("agent").get(DASHBOARD).content.decode()
    assert "django_htmx/htmx-2.min.js" in content
    assert 'hx-headers=\'{"X-CSRFToken": "' in content
    assert "https://" not in content.split("<body")[0]


def test_shell_logout_is_a_post_form(client_for):
    content = client_for("agent").get(DASHBOARD).content.decode()
    assert f'<form method="post" action="{reverse("logout")}">' in content


@pytest.mark.parametrize(("persona", "sees_admin"), [("broker", True), ("agent", False)])
def test_admin_link_only_for_staff(client_for, persona, sees_admin):
    content = client_for(persona).get(DASHBOARD).content.decode()
    assert (reverse("admin:index") in content) is sees_admin
    assert reverse("api-docs") in content
