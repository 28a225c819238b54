"""The broker's MLS access log page and the display rule admin, for each persona."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.models import ListingAccess, MLSDisplayRule
from tests.compliance.mls import make_mls_listing, make_provider, make_rule

pytestmark = pytest.mark.django_db

LOG = reverse("compliance:listing-access-list")


def log_row(personas, agent, listing=None, kind="view", ids=()):
    return ListingAccess.objects.create(
        brokerage=agent.brokerage,
        user=agent.user,
        agent=agent,
        provider=listing.mls_provider if listing else None,
        listing=listing,
        kind=kind,
        listing_ids=list(ids),
        count=len(ids) or 1,
        accessed_at=timezone.now(),
    )


@pytest.fixture
def rows(personas):
    provider = make_provider(personas.brokerage)
    listing = make_mls_listing(personas.agent.user, provider, "L1")
    other = make_mls_listing(personas.agent.user, provider, "L2")
    return {
        "agent_view": log_row(personas, personas.agent, listing),
        "colleague_export": log_row(
            personas, personas.colleague, kind="export", ids=[listing.pk, other.pk]
        ),
        "colleague_view": log_row(personas, personas.colleague, other),
        "stranger": log_row(personas, personas.stranger),
        "listing": listing,
    }


def listed(response):
    return {access.pk for access in response.context["object_list"]}


def test_the_broker_reads_the_brokerages_log_filtered(client_for, personas, rows):
    browser = client_for("broker")
    everything = listed(browser.get(LOG))
    assert rows["stranger"].pk not in everything and len(everything) == 3
    by_agent = listed(browser.get(LOG, {"agent": personas.colleague.pk}))
    assert by_agent == {rows["colleague_export"].pk, rows["colleague_view"].pk}
    by_listing = listed(browser.get(LOG, {"listing": rows["listing"].pk}))
    assert by_listing == {rows["agent_view"].pk, rows["colleague_export"].pk}
    assert listed(browser.get(LOG, {"kind": "export"})) == {rows["colleague_export"].pk}


@pytest.mark.parametrize("persona", ["agent", "colleague", "assistant", "viewer", "stranger"])
def test_only_a_broker_reads_the_log(client_for, rows, persona):
    assert client_for(persona).get(LOG).status_code == 403


def test_anonymous_is_sent_to_login(client_for):
    response = client_for("anonymous").get(LOG)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_log_costs_the_same_queries_for_more_rows(
    client_for, personas, rows, django_assert_num_queries
):
    browser = client_for("broker")
    browser.get(LOG)
    with django_assert_num_queries(6):
        browser.get(LOG)
    for _ in range(5):
        log_row(personas, personas.agent, rows["listing"])
    with django_assert_num_queries(6):
        browser.get(LOG)


def test_the_broker_keeps_display_rules_only_for_their_own_feeds(client_for, personas):
    own = make_provider(personas.brokerage)
    foreign = make_provider(personas.other_brokerage, name="Harbor MLS")
    make_rule(foreign)
    browser = client_for("broker")
    form = browser.get(reverse("admin:compliance_mlsdisplayrule_add")).context["adminform"].form
    assert list(form.fields["provider"].queryset) == [own]
    response = browser.post(
        reverse("admin:compliance_mlsdisplayrule_add"),
        {"provider": own.pk, "disclaimer": "© Bright MLS", "show_listing_office": "on"},
    )
    assert response.status_code == 302
    assert MLSDisplayRule.objects.get(provider=own).disclaimer == "© Bright MLS"
    changelist = browser.get(reverse("admin:compliance_mlsdisplayrule_changelist"))
    assert "Harbor MLS" not in changelist.content.decode()


def test_the_broker_reads_the_access_log_in_the_admin_but_cannot_change_it(client_for, rows):
    browser = client_for("broker")
    assert browser.get(reverse("admin:compliance_listingaccess_changelist")).status_code == 200
    address = reverse("admin:compliance_listingaccess_delete", args=[rows["agent_view"].pk])
    assert browser.post(address, {"post": "yes"}).status_code == 403
    assert ListingAccess.objects.filter(pk=rows["agent_view"].pk).exists()


def test_the_log_filters_by_date(client_for, rows):
    today = timezone.localdate()
    browser = client_for("broker")
    assert len(listed(browser.get(LOG, {"accessed_after": today.isoformat()}))) == 3
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert listed(browser.get(LOG, {"accessed_after": tomorrow})) == set()
