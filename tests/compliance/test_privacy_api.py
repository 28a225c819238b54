"""The privacy API per persona: consent log, data export, erasure, the do-not-contact list,
retention, the payout account; no plaintext government ID or bank number in any answer."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from compliance.models import ConsentRecord, DoNotContactEntry, PayoutAccount, RetentionRun
from compliance.services.consent import consent_record
from tests.testing.factories import make_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def mine(personas):
    client = make_client(personas.agent.user, first_name="Dana", email="dana@example.com")
    client.government_id = "P-5551234"
    client.save()
    return client


def test_the_client_api_never_returns_the_government_id(api_for, mine):
    api = api_for("agent")
    listing = api.get("/api/v1/clients/").content.decode()
    detail = api.get(f"/api/v1/clients/{mine.pk}/").content.decode()
    assert "Dana" in listing and "Dana" in detail
    for body in (listing, detail):
        assert "P-5551234" not in body and "government" not in body


def test_the_agent_reads_and_writes_the_consent_log(api_for, mine):
    api = api_for("agent")
    created = api.post(
        f"/api/v1/clients/{mine.pk}/consent/",
        {"channel": "phone", "decision": "revoked", "note": "Asked on the phone"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["source"] == "agent"
    same = api.post(
        f"/api/v1/clients/{mine.pk}/consent/", {"channel": "phone", "decision": "revoked"}
    )
    assert same.status_code == 200 and "Nothing changed" in same.json()["detail"]
    listed = api.get(f"/api/v1/clients/{mine.pk}/consent/").json()
    assert [(r["channel"], r["decision"]) for r in listed["results"]] == [("phone", "revoked")]
    mine.refresh_from_db()
    assert mine.do_not_call


@pytest.mark.parametrize(
    ("persona", "status"),
    [("colleague", 404), ("viewer", 404), ("stranger", 404), ("anonymous", 401)],
)
def test_strangers_neither_read_nor_write_consent(api_for, mine, persona, status):
    consent_record(client=mine, channel="email", status="revoked", source="agent")
    api = api_for(persona)
    assert api.get(f"/api/v1/clients/{mine.pk}/consent/").status_code == status
    response = api.post(
        f"/api/v1/clients/{mine.pk}/consent/", {"channel": "email", "decision": "granted"}
    )
    assert response.status_code == status
    mine.refresh_from_db()
    assert mine.do_not_email and ConsentRecord.objects.count() == 1


@pytest.mark.parametrize("count", [2, 20])
def test_the_consent_log_uses_a_constant_number_of_queries(
    api_for, mine, django_assert_num_queries, count
):
    for n in range(count):
        consent_record(
            client=mine,
            channel="text",
            status="revoked" if n % 2 == 0 else "granted",
            source="agent",
        )
    api = api_for("agent")
    api.get(f"/api/v1/clients/{mine.pk}/consent/")  # warms the content-type cache
    # the client as the caller may see it, the count, one page of records with their actors
    with django_assert_num_queries(3):
        response = api.get(f"/api/v1/clients/{mine.pk}/consent/")
    assert response.json()["count"] == count


def test_the_export_is_for_those_who_see_the_client(api_for, mine):
    data = api_for("agent").get(f"/api/v1/clients/{mine.pk}/data-export/").json()
    assert data["client"]["email"] == "dana@example.com"
    assert data["client"]["government_id"] == "•••• 1234"
    for persona, status in (("colleague", 404), ("stranger", 404), ("anonymous", 401)):
        assert api_for(persona).get(f"/api/v1/clients/{mine.pk}/data-export/").status_code == status


@pytest.mark.parametrize(
    ("persona", "status"),
    [("agent", 403), ("colleague", 404), ("stranger", 404), ("anonymous", 401)],
)
def test_only_the_broker_erases(api_for, mine, persona, status):
    response = api_for(persona).post(f"/api/v1/clients/{mine.pk}/erase/", {"reason": "asked"})
    assert response.status_code == status
    mine.refresh_from_db()
    assert mine.anonymised_at is None


def test_the_broker_erases_with_a_reason(api_for, mine):
    api = api_for("broker")
    assert api.post(f"/api/v1/clients/{mine.pk}/erase/", {}).status_code == 400
    response = api.post(f"/api/v1/clients/{mine.pk}/erase/", {"reason": "Email of 3 May"})
    assert response.status_code == 200 and response.json()["anonymised_at"]
    mine.refresh_from_db()
    assert mine.email == "" and mine.government_id == ""


# ---------- do-not-contact list ----------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("agent", 403), ("assistant", 403), ("stranger", 403), ("anonymous", 401)],
)
def test_only_brokers_use_the_dnc_list(api_for, personas, persona, status):
    entry = DoNotContactEntry.objects.create(
        brokerage=personas.brokerage, kind="email", value="a@b.com"
    )
    api = api_for(persona)
    assert api.get("/api/v1/compliance/do-not-contact/").status_code == status
    assert api.delete(f"/api/v1/compliance/do-not-contact/{entry.pk}/").status_code in (status, 404)
    upload = SimpleUploadedFile("dnc.csv", b"x@example.com\n")
    assert (
        api.post(
            "/api/v1/compliance/do-not-contact/import/", {"file": upload}, format="multipart"
        ).status_code
        == status
    )
    assert list(DoNotContactEntry.objects.values_list("value", flat=True)) == ["a@b.com"]


def test_the_broker_uploads_lists_and_prunes_them(api_for, personas, mine):
    api = api_for("broker")
    upload = SimpleUploadedFile("dnc.csv", b"email\ndana@example.com\nbad\n")
    report = api.post(
        "/api/v1/compliance/do-not-contact/import/", {"file": upload}, format="multipart"
    ).json()
    assert (report["read"], report["added"], report["clients_changed"]) == (1, 1, 1)
    assert [error["line"] for error in report["errors"]] == [3]
    theirs = DoNotContactEntry.objects.create(
        brokerage=personas.other_brokerage, kind="email", value="c@d.com"
    )
    assert api.delete(f"/api/v1/compliance/do-not-contact/{theirs.pk}/").status_code == 404
    entry = DoNotContactEntry.objects.get(brokerage=personas.brokerage)
    assert api.delete(f"/api/v1/compliance/do-not-contact/{entry.pk}/").status_code == 204


def test_the_dnc_list_uses_a_constant_number_of_queries(
    api_for, personas, django_assert_num_queries
):
    for n in range(30):
        DoNotContactEntry.objects.create(
            brokerage=personas.brokerage, kind="email", value=f"p{n}@example.com"
        )
    api = api_for("broker")
    # agent profile with role, count, page
    with django_assert_num_queries(3):
        response = api.get("/api/v1/compliance/do-not-contact/")
    assert response.json()["count"] == 30


# ---------- retention ----------


@pytest.mark.parametrize(
    ("persona", "status"), [("agent", 403), ("viewer", 403), ("stranger", 403), ("anonymous", 401)]
)
def test_only_brokers_use_retention(api_for, persona, status):
    api = api_for(persona)
    assert api.get("/api/v1/compliance/retention-policy/").status_code == status
    assert (
        api.put(
            "/api/v1/compliance/retention-policy/", {"period_months": 12, "enabled": True}
        ).status_code
        == status
    )
    assert api.post("/api/v1/compliance/retention-runs/", {"dry_run": False}).status_code == status
    assert api.get("/api/v1/compliance/retention-runs/").status_code == status
    assert not RetentionRun.objects.exists()


def test_the_broker_sets_the_policy_and_runs(api_for, personas):
    api = api_for("broker")
    assert api.get("/api/v1/compliance/retention-policy/").json() == {
        "period_months": 60,
        "enabled": False,
    }
    assert (
        api.put(
            "/api/v1/compliance/retention-policy/", {"period_months": 2, "enabled": True}
        ).status_code
        == 400
    )
    assert api.put(
        "/api/v1/compliance/retention-policy/", {"period_months": 12, "enabled": True}
    ).json() == {"period_months": 12, "enabled": True}
    run = api.post("/api/v1/compliance/retention-runs/", {}).json()
    assert (run["dry_run"], run["period_months"], run["candidates"]) == (True, 12, 0)
    RetentionRun.objects.create(
        brokerage=personas.other_brokerage, trigger="manual", period_months=1, cutoff=run["cutoff"]
    )
    listed = api.get("/api/v1/compliance/retention-runs/").json()
    assert [r["id"] for r in listed["results"]] == [run["id"]]


# ---------- payout account ----------


def test_the_payout_account_is_write_only_and_masked(api_for, personas):
    api = api_for("agent")
    assert api.get("/api/v1/me/payout-account/").status_code == 404
    bad = api.put(
        "/api/v1/me/payout-account/",
        {"account_holder": "Alice", "account_number": "12345678", "routing_number": "123456789"},
    )
    assert bad.status_code == 400 and "routing_number" in bad.json()
    saved = api.put(
        "/api/v1/me/payout-account/",
        {"account_holder": "Alice", "account_number": "12345678", "routing_number": "021000021"},
    )
    assert saved.status_code == 200
    for response in (saved, api.get("/api/v1/me/payout-account/")):
        body = response.content.decode()
        assert "12345678" not in body and "021000021" not in body
        assert response.json()["account_number_masked"] == "•••• 5678"
    assert PayoutAccount.objects.get().agent == personas.agent
    assert api_for("colleague").get("/api/v1/me/payout-account/").status_code == 404
    assert api_for("anonymous").get("/api/v1/me/payout-account/").status_code == 401


def test_the_api_sets_the_government_id_without_returning_it(api_for, mine):
    api = api_for("agent")
    response = api.patch(f"/api/v1/clients/{mine.pk}/", {"government_id": "D-42424242"})
    assert response.status_code == 200 and "42424242" not in response.content.decode()
    api.patch(f"/api/v1/clients/{mine.pk}/", {"government_id": "", "first_name": "Dee"})
    mine.refresh_from_db()
    assert (mine.first_name, mine.government_id) == ("Dee", "D-42424242")
