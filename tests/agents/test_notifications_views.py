"""The notification feed page, the top bar's bell and the alert settings page, per persona."""

from decimal import Decimal

import pytest
from django.urls import reverse

from agents.choices import NotificationKind
from agents.models import Notification

pytestmark = pytest.mark.django_db


def notify(agent, n=1, **fields):
    made = []
    for _ in range(n):
        number = Notification.objects.count() + 1
        values = {
            "recipient": agent.user,
            "brokerage": agent.brokerage,
            "kind": NotificationKind.EVENT,
            "title": f"Note {number} for {agent.user.username}",
            "url": f"/listings/{number}/",
            "dedupe_key": f"test:{number}",
        }
        values.update(fields)
        made.append(Notification.objects.create(**values))
    return made[0] if n == 1 else made


@pytest.fixture
def alices(personas):
    return notify(personas.agent, 3)


def test_the_feed_shows_only_the_persons_own_notifications(personas, client_for, alices):
    notify(personas.colleague, title="Carol's private note")
    page = client_for("agent").get(reverse("notifications:list"))
    assert page.status_code == 200
    body = page.content.decode()
    for notification in alices:
        assert notification.title in body
        assert f'href="{notification.url}"' in body
    assert "Carol's private note" not in body
    for name in ("colleague", "broker", "stranger"):
        body = client_for(name).get(reverse("notifications:list")).content.decode()
        assert "Note 1 for alice" not in body, name


def test_anonymous_is_sent_to_sign_in(client_for):
    for name in ("list", "bell", "unread-count", "settings"):
        response = client_for("anonymous").get(reverse(f"notifications:{name}"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_the_feed_filters_unread_and_kind(personas, client_for, alices):
    notify(personas.agent, kind=NotificationKind.PRICE_DROP, title="A price cut nearby")
    Notification.objects.filter(pk=alices[0].pk).update(read_at="2026-01-01T00:00Z")
    client = client_for("agent")
    body = client.get(reverse("notifications:list"), {"unread": "true"}).content.decode()
    assert alices[0].title not in body and alices[1].title in body
    body = client.get(reverse("notifications:list"), {"kind": "price_drop"}).content.decode()
    assert "A price cut nearby" in body and alices[1].title not in body


def test_the_feed_page_takes_the_same_queries_for_many_notifications(
    personas, client_for, django_assert_num_queries
):
    client = client_for("agent")
    notify(personas.agent, 2)
    client.get(reverse("notifications:list"))  # warm the session
    with django_assert_num_queries(6) as few:
        client.get(reverse("notifications:list"))
    notify(personas.agent, 20)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(reverse("notifications:list"))


def test_marking_one_read(personas, client_for, alices):
    response = client_for("agent").post(
        reverse("notifications:read", args=[alices[0].pk]), {"next": "/notifications/?unread=1"}
    )
    assert response.status_code == 302
    assert response.url == "/notifications/?unread=1"
    alices[0].refresh_from_db()
    assert alices[0].read_at is not None
    alices[1].refresh_from_db()
    assert alices[1].read_at is None


def test_marking_one_read_from_the_page_with_htmx_updates_the_count(personas, client_for, alices):
    response = client_for("agent").post(
        reverse("notifications:read", args=[alices[0].pk]), HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert f'id="notification-{alices[0].pk}"' in body
    assert "notification--unread" not in body
    assert 'hx-swap-oob="true"' in body and 'data-count="2"' in body


def test_nobody_marks_someone_elses_notification_read(personas, client_for, alices):
    for name in ("colleague", "broker", "stranger", "viewer"):
        response = client_for(name).post(reverse("notifications:read", args=[alices[0].pk]))
        assert response.status_code == 404, name
    assert client_for("anonymous").post(
        reverse("notifications:read", args=[alices[0].pk])
    ).status_code in (302, 403)
    alices[0].refresh_from_db()
    assert alices[0].read_at is None


def test_reading_needs_a_post(personas, client_for, alices):
    response = client_for("agent").get(reverse("notifications:read", args=[alices[0].pk]))
    assert response.status_code == 405


def test_marking_all_read_marks_only_ones_own(personas, client_for, alices):
    carols = notify(personas.colleague)
    response = client_for("agent").post(reverse("notifications:read-all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=personas.agent.user, read_at=None).exists()
    carols.refresh_from_db()
    assert carols.read_at is None


def test_the_bell_counts_and_lists_the_newest(personas, client_for, alices):
    notify(personas.colleague)
    client = client_for("agent")
    count = client.get(reverse("notifications:unread-count")).content.decode()
    assert 'data-count="3"' in count and 'hx-trigger="every 30s"' in count
    panel = client.get(reverse("notifications:bell")).content.decode()
    for notification in alices:
        assert notification.title in panel
    assert "for carol" not in panel
    stranger = client_for("stranger").get(reverse("notifications:unread-count")).content
    assert b'data-count="0"' in stranger


def test_marking_all_read_from_the_bell_answers_the_panel_and_a_zero_count(
    personas, client_for, alices
):
    response = client_for("agent").post(reverse("notifications:read-all"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'data-count="0"' in body and 'hx-swap-oob="true"' in body
    assert "bell__item--unread" not in body


def test_every_page_has_the_bell_for_people_with_a_profile(client_for, personas):
    body = client_for("agent").get(reverse("dashboard")).content.decode()
    assert 'id="notification-bell"' in body
    assert reverse("notifications:unread-count") in body


def test_the_bell_queries_do_not_grow_with_notifications(
    personas, client_for, django_assert_num_queries
):
    client = client_for("agent")
    client.get(reverse("notifications:bell"))
    notify(personas.agent, 1)
    with django_assert_num_queries(5) as few:
        client.get(reverse("notifications:bell"))
    notify(personas.agent, 12)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(reverse("notifications:bell"))


# ---------------------------------------------------------------------------------------------
# Alert settings


def test_an_agent_changes_their_alert_settings(personas, client_for):
    client = client_for("agent")
    page = client.get(reverse("notifications:settings"))
    assert page.status_code == 200
    response = client.post(
        reverse("notifications:settings"),
        {"price_drop_alert_percent": "3.5", "market_areas": "Springfield\n62701"},
    )
    assert response.status_code == 302
    personas.agent.refresh_from_db()
    assert personas.agent.price_drop_alert_percent == Decimal("3.5")
    assert personas.agent.market_areas == ["Springfield", "62701"]
    assert personas.agent.notify_by_email is False  # the box was not ticked


def test_a_bad_setting_is_shown_with_what_was_typed(personas, client_for):
    response = client_for("agent").post(
        reverse("notifications:settings"),
        {"price_drop_alert_percent": "250", "market_areas": "Dover", "notify_by_email": "on"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "field--error" in body
    assert "Dover" in body and 'value="250"' in body
    personas.agent.refresh_from_db()
    assert personas.agent.market_areas == []


def test_each_person_sees_and_changes_only_their_own_settings(personas, client_for):
    personas.agent.market_areas = ["Alicetown"]
    personas.agent.save()
    for name in ("colleague", "broker", "stranger"):
        body = client_for(name).get(reverse("notifications:settings")).content.decode()
        assert "Alicetown" not in body, name
        client_for(name).post(reverse("notifications:settings"), {"market_areas": "Hacked"})
    personas.agent.refresh_from_db()
    assert personas.agent.market_areas == ["Alicetown"]


# ---------------------------------------------------------------------------------------------
# The back office


def test_the_broker_reads_the_brokerages_notifications_in_the_admin_and_changes_none(
    personas, client_for
):
    mine = notify(personas.agent, title="Birchwood price cut")
    notify(personas.stranger, title="Harborview price cut")
    client = client_for("broker")
    page = client.get(reverse("admin:agents_notification_changelist"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Birchwood price cut" in body and "Harborview price cut" not in body
    assert client.get(reverse("admin:agents_notification_add")).status_code == 403
    change = reverse("admin:agents_notification_change", args=[mine.pk])
    assert client.get(change).status_code == 200  # read-only view
    client.post(change, {"title": "Changed"})
    mine.refresh_from_db()
    assert mine.title == "Birchwood price cut"
    assert client_for("agent").get(reverse("admin:agents_notification_changelist")).status_code in (
        302,
        403,
    )


def test_a_poll_after_the_session_ended_changes_nothing_on_the_page(client_for):
    anonymous = client_for("anonymous")
    response = anonymous.get(reverse("notifications:unread-count"), HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    response = anonymous.get(
        reverse("notifications:bell"),
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/clients/?stage=new",
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Fclients%2F%3Fstage%3Dnew"
