"""The notification API: only the caller's own, listed, counted and marked read."""

import pytest

from agents.choices import NotificationKind
from agents.models import Notification
from tests.agents.test_notifications_views import notify

pytestmark = pytest.mark.django_db

LIST = "/api/v1/notifications/"


@pytest.fixture
def alices(personas):
    return notify(personas.agent, 3)


def test_the_list_is_the_callers_own(personas, api_for, alices):
    notify(personas.colleague)
    response = api_for("agent").get(LIST)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [n.pk for n in reversed(alices)]
    row = response.json()["results"][0]
    assert row["kind_label"] == "Activity" and row["is_read"] is False
    for name in ("colleague", "broker", "stranger"):
        ids = {row["id"] for row in api_for(name).get(LIST).json()["results"]}
        assert not ids & {n.pk for n in alices}, name


def test_anonymous_gets_401(api_for, alices):
    client = api_for("anonymous")
    assert client.get(LIST).status_code == 401
    assert client.post(f"{LIST}{alices[0].pk}/read/").status_code == 401
    assert client.get(f"{LIST}unread-count/").status_code == 401


def test_the_list_filters_unread_and_kind(personas, api_for, alices):
    drop = notify(personas.agent, kind=NotificationKind.PRICE_DROP)
    Notification.objects.filter(pk=alices[0].pk).update(read_at="2026-01-01T00:00Z")
    client = api_for("agent")
    unread = {row["id"] for row in client.get(LIST, {"unread": "true"}).json()["results"]}
    assert unread == {alices[1].pk, alices[2].pk, drop.pk}
    kinds = client.get(LIST, {"kind": "price_drop"}).json()["results"]
    assert [row["id"] for row in kinds] == [drop.pk]
    assert client.get(LIST, {"kind": "nonsense"}).status_code == 400


def test_the_list_takes_the_same_queries_for_many_notifications(
    personas, api_for, django_assert_num_queries
):
    client = api_for("agent")
    notify(personas.agent, 2)
    client.get(LIST)  # warm the caches of who the caller is
    with django_assert_num_queries(2) as few:
        client.get(LIST)
    notify(personas.agent, 20)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(LIST)


def test_marking_one_read_and_the_count(personas, api_for, alices):
    client = api_for("agent")
    assert client.get(f"{LIST}unread-count/").json() == {"unread": 3}
    response = client.post(f"{LIST}{alices[0].pk}/read/")
    assert response.status_code == 200
    assert response.json()["is_read"] is True
    assert client.post(f"{LIST}{alices[0].pk}/read/").status_code == 200  # again: no change
    assert client.get(f"{LIST}unread-count/").json() == {"unread": 2}


def test_a_viewer_marks_their_own_notifications_read(personas, api_for):
    mine = notify(personas.viewer)
    assert api_for("viewer").post(f"{LIST}{mine.pk}/read/").status_code == 200


def test_nobody_reads_or_marks_someone_elses_notification(personas, api_for, alices):
    for name in ("colleague", "broker", "stranger"):
        client = api_for(name)
        assert client.get(f"{LIST}{alices[0].pk}/").status_code == 404, name
        assert client.post(f"{LIST}{alices[0].pk}/read/").status_code == 404, name
        client.post(f"{LIST}read-all/")
    assert Notification.objects.filter(recipient=personas.agent.user, read_at=None).count() == 3


def test_marking_all_read(personas, api_for, alices):
    carols = notify(personas.colleague)
    response = api_for("agent").post(f"{LIST}read-all/")
    assert response.json() == {"marked": 3}
    assert api_for("agent").get(f"{LIST}unread-count/").json() == {"unread": 0}
    carols.refresh_from_db()
    assert carols.read_at is None


SETTINGS = "/api/v1/me/alert-settings/"


def test_an_agent_reads_and_changes_their_alert_settings(personas, api_for):
    client = api_for("agent")
    assert client.get(SETTINGS).json() == {
        "price_drop_alert_percent": "5.0",
        "notify_by_email": True,
        "market_areas": [],
    }
    response = client.patch(
        SETTINGS,
        {
            "price_drop_alert_percent": "7.5",
            "market_areas": ["Springfield", " springfield", "62701"],
        },
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == {
        "price_drop_alert_percent": "7.5",
        "notify_by_email": True,
        "market_areas": ["Springfield", "62701"],
    }
    response = client.patch(SETTINGS, {"price_drop_alert_percent": None}, format="json")
    assert response.json()["price_drop_alert_percent"] is None


def test_bad_alert_settings_are_answered_by_field(personas, api_for):
    response = api_for("agent").patch(
        SETTINGS, {"price_drop_alert_percent": "0", "market_areas": "Springfield"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"price_drop_alert_percent", "market_areas"}
    personas.agent.refresh_from_db()
    assert personas.agent.price_drop_alert_percent == 5


def test_alert_settings_are_each_persons_own(personas, api_for):
    api_for("agent").patch(SETTINGS, {"market_areas": ["Alicetown"]}, format="json")
    for name in ("colleague", "broker", "stranger"):
        assert api_for(name).get(SETTINGS).json()["market_areas"] == [], name
    assert api_for("anonymous").get(SETTINGS).status_code == 401
    personas.agent.refresh_from_db()
    assert personas.agent.market_areas == ["Alicetown"]
