"""The scan endpoint, the nightly scan of MLS listings and its report pages and API."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.models import FairHousingScanListing, FairHousingScanRun
from compliance.models.fair_housing import ScanState
from compliance.services.fair_housing import SCAN_LEASE_SECONDS, fair_housing_nightly_scan
from compliance.tasks import fair_housing_nightly_scan_task
from properties.models import Property
from tests.testing.factories import make_listing, make_mls_provider

SCAN_URL = "/api/v1/compliance/fair-housing/scan/"
RUNS_URL = "/api/v1/compliance/fair-housing/runs/"
MEMBERS = ["agent", "colleague", "assistant", "viewer", "broker"]
NOT_BROKERS = ["agent", "colleague", "assistant", "viewer", "stranger"]


def mls_listing(personas, provider, remarks, brokerage_user=None, **fields):
    """A listing as the MLS sync leaves it (the sync writes outside the listing services)."""
    listing = make_listing(brokerage_user or personas.agent.user, public_remarks="Clean text.")
    Property.objects.filter(pk=listing.pk).update(
        source="mls", mls_provider=provider, public_remarks=remarks, **fields
    )
    return listing


@pytest.fixture
def scanned(personas):
    """One nightly scan over two brokerages' MLS listings."""
    provider = make_mls_provider(personas.brokerage)
    theirs = make_mls_provider(personas.other_brokerage, name="Harbor MLS")
    flagged = mls_listing(personas, provider, "No children. Christian home, walk-in closets.")
    mls_listing(personas, provider, "Large family room and master bedroom.")
    mls_listing(personas, provider, "Adults only", archived_at="2026-01-01T00:00:00Z")
    mls_listing(personas, theirs, "Whites only.", brokerage_user=personas.stranger.user)
    make_listing(personas.agent.user, public_remarks="A brokerage listing, not the MLS's.")
    runs = fair_housing_nightly_scan()
    return {"runs": runs, "flagged": flagged}


# ---------- the scan endpoint ----------


@pytest.mark.parametrize("persona", [*MEMBERS, "stranger"])
def test_every_brokerage_member_can_scan_text(api_for, persona):
    response = api_for(persona).post(
        SCAN_URL, {"text": "Great yard. No kids, perfect for a couple."}, format="json"
    )
    assert response.status_code == 200
    findings = response.data["findings"]
    assert [(f["text"], f["protected_class"]) for f in findings] == [
        ("No kids", "familial_status"),
        ("perfect for a couple", "familial_status"),
    ]
    assert (findings[0]["start"], findings[0]["end"]) == (12, 19)
    assert findings[0]["reason"] and findings[0]["suggestion"]
    assert response.data["approved"] is False


def test_anonymous_cannot_scan(api_for):
    response = api_for("anonymous").post(SCAN_URL, {"text": "No kids"}, format="json")
    assert response.status_code in (401, 403)


def test_a_user_without_a_brokerage_cannot_scan(django_user_model):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_user("loner"))
    assert client.post(SCAN_URL, {"text": "No kids"}, format="json").status_code == 403


def test_the_scan_uses_the_callers_brokerage_rules(personas, api_for):
    from compliance.models import FairHousingRule

    FairHousingRule.objects.create(
        brokerage=personas.brokerage,
        phrase="no section 8",
        protected_class="source_of_income",
        reason="State law.",
        suggestion="Remove it.",
    )
    body = {"text": "No Section 8."}
    assert len(api_for("agent").post(SCAN_URL, body, format="json").data["findings"]) == 1
    assert api_for("stranger").post(SCAN_URL, body, format="json").data["findings"] == []


def test_the_scan_says_when_a_broker_approved_the_text(personas, api_for):
    from compliance.services.fair_housing import fair_housing_override_create

    fair_housing_override_create(text="Adults only", reason="HOPA.", actor=personas.broker.user)
    body = {"text": "Adults only"}
    assert api_for("agent").post(SCAN_URL, body, format="json").data["approved"] is True
    assert api_for("stranger").post(SCAN_URL, body, format="json").data["approved"] is False


def test_the_scan_needs_a_text(api_for):
    assert api_for("agent").post(SCAN_URL, {}, format="json").status_code == 400


# ---------- the nightly scan ----------


def test_the_nightly_scan_reports_each_brokerages_flagged_mls_listings(personas, scanned):
    ours = FairHousingScanRun.objects.get(brokerage=personas.brokerage)
    assert ours.state == ScanState.SUCCEEDED and ours.finished_at is not None
    assert (ours.listings_scanned, ours.listings_flagged, ours.findings_total) == (2, 1, 2)
    assert ours.class_counts == {"familial_status": 1, "religion": 1}
    row = FairHousingScanListing.objects.get(run=ours)
    assert row.listing == scanned["flagged"]
    assert [f["text"] for f in row.findings] == ["No children", "Christian home"]
    assert [(f["start"], f["end"]) for f in row.findings] == [(0, 11), (13, 27)]
    theirs = FairHousingScanRun.objects.get(brokerage=personas.other_brokerage)
    assert (theirs.listings_scanned, theirs.listings_flagged) == (1, 1)
    assert len(scanned["runs"]) == 2


def test_a_brokerage_is_not_scanned_twice_at_once(personas):
    provider = make_mls_provider(personas.brokerage)
    mls_listing(personas, provider, "No kids")
    running = FairHousingScanRun.objects.create(brokerage=personas.brokerage)
    assert fair_housing_nightly_scan() == []
    assert list(FairHousingScanRun.objects.all()) == [running]


def test_a_scan_left_running_by_a_dead_worker_is_failed_after_its_lease(personas):
    provider = make_mls_provider(personas.brokerage)
    mls_listing(personas, provider, "No kids")
    dead = FairHousingScanRun.objects.create(brokerage=personas.brokerage)
    long_ago = timezone.now() - timedelta(seconds=SCAN_LEASE_SECONDS + 60)
    FairHousingScanRun.objects.filter(pk=dead.pk).update(started_at=long_ago)
    (run,) = fair_housing_nightly_scan()
    assert (run.state, run.listings_flagged) == (ScanState.SUCCEEDED, 1)
    dead.refresh_from_db()
    assert dead.state == ScanState.FAILED and "Interrupted" in dead.message


def test_the_nightly_task_runs_the_scan(personas):
    provider = make_mls_provider(personas.brokerage)
    mls_listing(personas, provider, "Perfect for a bachelor")
    run_ids = fair_housing_nightly_scan_task.delay().get()
    run = FairHousingScanRun.objects.get(pk__in=run_ids)
    assert run.listings_flagged == 1


def test_the_nightly_job_is_scheduled(db):
    from django_celery_beat.models import PeriodicTask

    from clients.services.schedules import periodic_jobs_ensure

    periodic_jobs_ensure()
    task = PeriodicTask.objects.get(name="Fair Housing: nightly scan of MLS listings")
    assert task.task == "compliance.tasks.fair_housing_nightly_scan_task"
    assert (task.crontab.hour, task.crontab.minute) == ("2", "30")


# ---------- report pages ----------


def test_the_broker_sees_the_brokerages_scans(personas, client_for, scanned):
    response = client_for("broker").get(reverse("compliance:fair-housing-runs"))
    assert response.status_code == 200
    assert [run.brokerage for run in response.context["runs"]] == [personas.brokerage]
    run = response.context["runs"][0]
    detail = client_for("broker").get(reverse("compliance:fair-housing-run", args=[run.pk]))
    assert detail.status_code == 200
    page = detail.content.decode()
    assert "Christian home" in page and "Religion" in page
    assert [row.listing for row in detail.context["flagged"]] == [scanned["flagged"]]


def test_the_scan_list_filters_by_flagged(personas, client_for, scanned):
    url = reverse("compliance:fair-housing-runs")
    assert len(client_for("broker").get(url, {"flagged": "false"}).context["runs"]) == 0
    assert len(client_for("broker").get(url, {"flagged": "true"}).context["runs"]) == 1


@pytest.mark.parametrize("persona", ["agent", "colleague", "assistant", "viewer", "stranger"])
def test_only_the_broker_sees_the_scan_pages(client_for, scanned, persona):
    run = FairHousingScanRun.objects.get(listings_scanned=2)
    client = client_for(persona)
    assert client.get(reverse("compliance:fair-housing-runs")).status_code == 403
    assert client.get(reverse("compliance:fair-housing-run", args=[run.pk])).status_code == 403


def test_another_brokerages_broker_gets_404_on_a_scan(personas, client_for, scanned):
    from django.test import Client

    from agents.choices import Role
    from tests.testing.factories import make_agent

    run = FairHousingScanRun.objects.get(brokerage=personas.brokerage)
    client = Client()
    client.force_login(make_agent(personas.other_brokerage, Role.BROKER).user)
    assert client.get(reverse("compliance:fair-housing-run", args=[run.pk])).status_code == 404
    listed = client.get(reverse("compliance:fair-housing-runs")).context["runs"]
    assert [r.brokerage for r in listed] == [personas.other_brokerage]


def test_anonymous_is_sent_to_sign_in_from_the_scan_pages(client_for, scanned):
    response = client_for("anonymous").get(reverse("compliance:fair-housing-runs"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("extra_runs", [1, 12])
def test_the_scan_list_queries_do_not_grow_with_runs(
    personas, client_for, django_assert_num_queries, extra_runs
):
    for _ in range(extra_runs):
        FairHousingScanRun.objects.create(
            brokerage=personas.brokerage, state=ScanState.SUCCEEDED, listings_scanned=3
        )
    client = client_for("broker")
    # session, user, agent profile with role, count, page of runs
    with django_assert_num_queries(5):
        response = client.get(reverse("compliance:fair-housing-runs"))
    assert len(response.context["runs"]) == extra_runs


@pytest.mark.parametrize("flagged", [1, 12])
def test_the_scan_detail_queries_do_not_grow_with_flagged_listings(
    personas, client_for, django_assert_num_queries, flagged
):
    provider = make_mls_provider(personas.brokerage)
    for _ in range(flagged):
        mls_listing(personas, provider, "Seniors only")
    (run,) = fair_housing_nightly_scan()
    client = client_for("broker")
    # session, user, agent profile with role, the run, count, page of flagged listings
    with django_assert_num_queries(6):
        response = client.get(reverse("compliance:fair-housing-run", args=[run.pk]))
    assert len(response.context["flagged"]) == flagged


# ---------- report API ----------


def test_the_broker_reads_the_scans_and_their_flagged_listings_by_api(personas, api_for, scanned):
    response = api_for("broker").get(RUNS_URL)
    assert response.status_code == 200
    (run,) = response.data["results"]
    assert (run["listings_scanned"], run["listings_flagged"]) == (2, 1)
    listings = api_for("broker").get(f"{RUNS_URL}{run['id']}/listings/")
    assert listings.status_code == 200
    (row,) = listings.data["results"]
    assert row["listing"] == scanned["flagged"].pk
    assert [f["protected_class"] for f in row["findings"]] == ["familial_status", "religion"]


@pytest.mark.parametrize("persona", NOT_BROKERS)
def test_only_the_broker_reads_scans_by_api(api_for, scanned, persona):
    run = FairHousingScanRun.objects.get(listings_scanned=2)
    client = api_for(persona)
    assert client.get(RUNS_URL).status_code == 403
    assert client.get(f"{RUNS_URL}{run.pk}/listings/").status_code == 403


def test_anonymous_cannot_read_scans_by_api(api_for, scanned):
    assert api_for("anonymous").get(RUNS_URL).status_code in (401, 403)


@pytest.mark.parametrize("extra_runs", [1, 12])
def test_the_scan_api_list_queries_do_not_grow_with_runs(
    personas, api_for, django_assert_num_queries, extra_runs
):
    for _ in range(extra_runs):
        FairHousingScanRun.objects.create(brokerage=personas.brokerage, state=ScanState.SUCCEEDED)
    client = api_for("broker")
    # agent profile with role, count, page of runs
    with django_assert_num_queries(3):
        response = client.get(RUNS_URL)
    assert response.data["count"] == extra_runs


# ---------- rules API ----------

RULES_URL = "/api/v1/compliance/fair-housing/rules/"
NEW_RULE = {
    "phrase": "no section 8",
    "protected_class": "source_of_income",
    "reason": "Our state protects source of income.",
    "suggestion": "Remove it.",
}


def test_members_read_built_in_rules_and_their_brokerages_own(personas, api_for):
    from compliance.models import FairHousingRule

    theirs = FairHousingRule.objects.create(
        brokerage=personas.other_brokerage,
        phrase="no students",
        protected_class="other",
        class_label="Student status",
        reason="r",
        suggestion="s",
    )
    response = api_for("agent").get(RULES_URL, {"page_size": 200})
    assert response.status_code == 200
    ids = {row["id"] for row in response.data["results"]}
    assert theirs.pk not in ids
    assert response.data["count"] == FairHousingRule.objects.filter(brokerage=None).count()
    assert all(row["builtin"] for row in response.data["results"])


def test_the_broker_adds_changes_and_removes_a_rule_by_api(personas, api_for):
    from compliance.models import FairHousingRule

    client = api_for("broker")
    created = client.post(RULES_URL, NEW_RULE, format="json")
    assert created.status_code == 201, created.data
    rule = FairHousingRule.objects.get(pk=created.data["id"])
    assert rule.brokerage == personas.brokerage and created.data["builtin"] is False
    changed = client.patch(f"{RULES_URL}{rule.pk}/", {"is_active": False}, format="json")
    assert changed.status_code == 200
    rule.refresh_from_db()
    assert not rule.is_active
    assert client.delete(f"{RULES_URL}{rule.pk}/").status_code == 204
    assert not FairHousingRule.objects.filter(pk=rule.pk).exists()


def test_a_rule_with_a_bad_phrase_is_a_field_error(api_for):
    response = api_for("broker").post(RULES_URL, {**NEW_RULE, "phrase": "no (kids)"}, format="json")
    assert response.status_code == 400
    assert "phrase" in response.data


def test_nobody_but_the_platform_changes_built_in_rules_by_api(api_for):
    from compliance.models import FairHousingRule

    builtin = FairHousingRule.objects.get(phrase="no children", brokerage=None)
    client = api_for("broker")
    assert client.patch(f"{RULES_URL}{builtin.pk}/", {"is_active": False}).status_code == 403
    assert client.delete(f"{RULES_URL}{builtin.pk}/").status_code == 403
    builtin.refresh_from_db()
    assert builtin.is_active


@pytest.mark.parametrize("persona", ["agent", "colleague", "assistant", "viewer", "stranger"])
def test_only_the_broker_changes_the_brokerages_rules_by_api(personas, api_for, persona):
    from compliance.models import FairHousingRule

    rule = FairHousingRule.objects.create(brokerage=personas.brokerage, **NEW_RULE)
    client = api_for(persona)
    assert client.post(RULES_URL, {**NEW_RULE, "phrase": "no vouchers"}).status_code == 403
    expected = 404 if persona == "stranger" else 403
    patch = client.patch(f"{RULES_URL}{rule.pk}/", {"is_active": False}, format="json")
    assert patch.status_code == expected
    assert client.delete(f"{RULES_URL}{rule.pk}/").status_code == expected
    rule.refresh_from_db()
    assert rule.is_active
    assert FairHousingRule.objects.filter(brokerage__isnull=False).count() == 1


def test_anonymous_cannot_read_rules_by_api(api_for):
    assert api_for("anonymous").get(RULES_URL).status_code in (401, 403)


@pytest.mark.parametrize("own_rules", [1, 12])
def test_the_rules_api_list_queries_do_not_grow_with_rules(
    personas, api_for, django_assert_num_queries, own_rules
):
    from compliance.models import FairHousingRule

    for n in range(own_rules):
        FairHousingRule.objects.create(
            brokerage=personas.brokerage, **{**NEW_RULE, "phrase": f"no voucher {n}"}
        )
    client = api_for("agent")
    # agent profile with role, count, page of rules
    with django_assert_num_queries(3):
        response = client.get(RULES_URL, {"page_size": 200})
    assert response.data["count"] == FairHousingRule.objects.count()
