"""MLS display rules on pages, API and exports; the access log and the export alert."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance.models import ExportAlert, ListingAccess
from compliance.services.mls import listing_export_alert_check
from tests.compliance.mls import make_mls_listing, make_provider, make_rule
from tests.testing.factories import make_listing

pytestmark = pytest.mark.django_db

DISCLAIMER = "deemed reliable"


@pytest.fixture
def provider(personas):
    return make_provider(personas.brokerage)


@pytest.fixture
def mls_listing(personas, provider):
    return make_mls_listing(personas.agent.user, provider, "MLS100")


@pytest.fixture
def local_listing(personas):
    return make_listing(personas.agent.user)


def detail(listing):
    return reverse("properties:detail", args=[listing.pk])


# ---------- disclaimer and attribution ----------


def test_the_disclaimer_and_office_show_on_an_mls_listing_page(
    client_for, personas, provider, mls_listing
):
    make_rule(provider, show_listing_agent=True, logo_url="https://mls.example/logo.png")
    page = client_for("colleague").get(detail(mls_listing)).content.decode()
    assert DISCLAIMER in page
    assert "{last_updated}" not in page and f"{mls_listing.modification_timestamp:%Y}" in page
    assert "Downtown" in page and personas.agent.name in page  # the office and the agent
    assert "https://mls.example/logo.png" in page


def test_no_disclaimer_on_the_brokerages_own_listing(client_for, provider, local_listing):
    make_rule(provider)
    page = client_for("agent").get(detail(local_listing)).content.decode()
    assert DISCLAIMER not in page


def test_the_api_detail_carries_the_attribution_and_null_for_a_local_listing(
    api_for, provider, mls_listing, local_listing
):
    make_rule(provider)
    api = api_for("agent")
    attribution = api.get(f"/api/v1/properties/{mls_listing.pk}/").json()["mls_attribution"]
    assert DISCLAIMER in attribution["disclaimer"]
    assert attribution["listing_office"] == "Downtown" and attribution["listing_agent"] == ""
    assert api.get(f"/api/v1/properties/{local_listing.pk}/").json()["mls_attribution"] is None


def test_the_list_shows_the_disclaimer_only_when_the_rule_asks(client_for, provider, mls_listing):
    rule = make_rule(provider)
    browser = client_for("agent")
    assert DISCLAIMER not in browser.get(reverse("properties:list")).content.decode()
    rule.show_on_cards = True
    rule.save()
    assert DISCLAIMER in browser.get(reverse("properties:list")).content.decode()


def test_the_listing_list_reads_the_rules_of_all_its_feeds_in_one_query(
    client_for, personas, provider, django_assert_num_queries
):
    for _ in range(3):
        make_listing(personas.agent.user)
    browser = client_for("agent")
    browser.get(reverse("properties:list"))
    with CaptureQueriesContext(connection) as local_only:
        browser.get(reverse("properties:list"))
    make_rule(provider, show_on_cards=True)
    other = make_provider(personas.brokerage, name="Other MLS")
    make_rule(other, show_on_cards=True)
    for n in range(3):
        make_mls_listing(personas.agent.user, provider if n % 2 else other, f"M{n}")
    with django_assert_num_queries(len(local_only) + 1):
        response = browser.get(reverse("properties:list"))
    assert response.content.decode().count(DISCLAIMER) == 2
    third = make_provider(personas.brokerage, name="Third MLS")
    make_rule(third, show_on_cards=True, disclaimer="Third MLS data, updated {last_updated}.")
    for n in range(3):
        make_mls_listing(personas.agent.user, third, f"T{n}")
    with django_assert_num_queries(len(local_only) + 1):
        response = browser.get(reverse("properties:list"))
    assert response.content.decode().count(DISCLAIMER) == 2
    assert "Third MLS data, updated" in response.content.decode()


# ---------- access log ----------


def access_queries(queries):
    return [q["sql"] for q in queries if "compliance_listingaccess" in q["sql"]]


def test_opening_an_mls_listing_page_logs_one_row_with_a_single_insert(
    client_for, personas, provider, mls_listing
):
    browser = client_for("colleague")
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(detail(mls_listing)).status_code == 200
    (insert,) = access_queries(queries)
    assert insert.startswith("INSERT")
    access = ListingAccess.objects.get()
    assert (access.kind, access.listing, access.provider) == ("view", mls_listing, provider)
    assert (access.user, access.agent, access.count) == (
        personas.colleague.user,
        personas.colleague,
        1,
    )


def test_opening_a_local_listing_logs_nothing(client_for, local_listing):
    client_for("agent").get(detail(local_listing))
    assert not ListingAccess.objects.exists()


def test_reading_an_mls_listing_through_the_api_is_logged(api_for, personas, mls_listing):
    api_for("broker").get(f"/api/v1/properties/{mls_listing.pk}/")
    access = ListingAccess.objects.get()
    assert (access.kind, access.user) == ("api", personas.broker.user)


def test_a_stranger_opening_the_listing_gets_404_and_logs_nothing(client_for, api_for, mls_listing):
    assert client_for("stranger").get(detail(mls_listing)).status_code == 404
    assert api_for("stranger").get(f"/api/v1/properties/{mls_listing.pk}/").status_code == 404
    assert not ListingAccess.objects.exists()


# ---------- export ----------

EXPORT = reverse("properties:export-csv")


def export(browser, **query):
    response = browser.get(EXPORT, query)
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8-sig")


def test_the_export_holds_the_listings_and_the_mls_disclaimer_and_is_logged(
    client_for, personas, provider, mls_listing, local_listing, django_capture_on_commit_callbacks
):
    make_rule(provider)
    make_listing(personas.stranger.user, street_name="Foreign")
    with django_capture_on_commit_callbacks(execute=True):
        text = export(client_for("agent"))
    assert "MLS100" in text and local_listing.street_name in text and "Foreign" not in text
    assert DISCLAIMER in text
    access = ListingAccess.objects.get()
    assert (access.kind, access.count, access.listing_ids) == ("export", 1, [mls_listing.pk])
    assert access.agent == personas.agent


def test_the_export_queries_do_not_grow_with_its_listings_or_feeds(client_for, personas, provider):
    make_rule(provider)
    other = make_provider(personas.brokerage, name="Other MLS")
    make_rule(other, disclaimer="Other MLS data.")
    make_mls_listing(personas.agent.user, provider, "A0")
    browser = client_for("agent")
    export(browser)
    with CaptureQueriesContext(connection) as one:
        export(browser)
    for n in range(1, 6):
        make_mls_listing(personas.agent.user, provider if n % 2 else other, f"A{n}")
    with CaptureQueriesContext(connection) as six:
        text = export(browser)
    assert len(six) == len(one)
    assert text.count(",Bright MLS\r\n") == 4 and text.count(",Other MLS\r\n") == 2
    assert "Bright MLS: Listing data" in text and "Other MLS: Other MLS data." in text


def test_an_export_without_mls_listings_logs_nothing(client_for, local_listing):
    export(client_for("agent"))
    assert not ListingAccess.objects.exists()


def test_anonymous_cannot_export(client_for, mls_listing):
    response = client_for("anonymous").get(EXPORT)
    assert response.status_code == 302
    assert not ListingAccess.objects.exists()


def test_the_brokers_are_alerted_once_when_an_agents_exports_pass_the_limit(
    client_for, personas, provider, django_capture_on_commit_callbacks
):
    make_rule(provider, export_alert_threshold=3)
    for n in range(2):
        make_mls_listing(personas.agent.user, provider, f"E{n}")
    browser = client_for("agent")
    sent = []
    for _ in range(4):  # 2, 4, 6, 8 listings exported
        with django_capture_on_commit_callbacks(execute=True):
            export(browser)
        sent.append(len(mail.outbox))

    assert sent == [0, 1, 1, 1]
    assert mail.outbox[0].to == [personas.broker.user.email]
    alert = ExportAlert.objects.get()
    assert (alert.agent, alert.exported, alert.threshold) == (personas.agent, 4, 3)


def test_the_alert_goes_to_the_brokers_and_comes_again_in_a_new_window(
    personas, provider, mls_listing
):
    make_rule(provider, export_alert_threshold=1)
    now = timezone.now()

    def exported(hours_ago, ids):
        return ListingAccess.objects.create(
            brokerage=personas.brokerage,
            user=personas.agent.user,
            agent=personas.agent,
            provider=provider,
            kind="export",
            listing_ids=ids,
            count=len(ids),
            accessed_at=now - timedelta(hours=hours_ago),
        )

    first = exported(30, [1, 2])
    assert listing_export_alert_check(access_id=first.pk) is not None
    (message,) = mail.outbox
    assert message.to == [personas.broker.user.email]
    assert personas.agent.name in message.subject
    # 30 hours pass: the window has moved on, and a new excess is told again.
    ExportAlert.objects.update(sent_at=now - timedelta(hours=30))
    assert listing_export_alert_check(access_id=exported(0, [3, 4]).pk) is not None
    assert listing_export_alert_check(access_id=exported(0, [5]).pk) is None
    assert ExportAlert.objects.count() == 2
