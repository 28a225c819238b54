"""The privacy pages per persona: consent on the client page, export, erasure, the
do-not-contact list, retention, the payout account, and the admin's masked bank numbers."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clients.models import Client
from compliance.models import (
    ConsentRecord,
    DoNotContactEntry,
    PayoutAccount,
    RetentionPolicy,
    RetentionRun,
)
from compliance.services.payouts import payout_account_save
from tests.testing.factories import make_client

pytestmark = pytest.mark.django_db

OTHERS = ["colleague", "viewer", "stranger"]


def url(name, *args):
    return reverse(f"compliance:{name}", args=args)


@pytest.fixture
def mine(personas):
    client = make_client(
        personas.agent.user, first_name="Dana", email="dana@example.com", phone="2175550123"
    )
    client.government_id = "P-5551234"
    client.save()
    return client


# ---------- the client page ----------


def test_the_client_page_shows_the_consent_log_and_a_masked_id(client_for, mine):
    client_for("agent").post(
        url("client-consent", mine.pk), {"channel": "text", "status": "revoked", "note": "stop"}
    )
    page = client_for("agent").get(mine.get_absolute_url()).content.decode()
    assert "Text: Do not contact" in page and "stop" in page
    assert "•••• 1234" in page and "P-5551234" not in page
    assert url("client-export", mine.pk) in page
    assert url("client-erase", mine.pk) not in page  # brokers only
    assert (
        url("client-erase", mine.pk)
        in client_for("broker").get(mine.get_absolute_url()).content.decode()
    )


def test_the_government_id_is_never_in_the_client_list(client_for, mine):
    page = client_for("broker").get(reverse("clients:list")).content.decode()
    assert "Dana" in page and "1234" not in page


@pytest.mark.parametrize(
    ("persona", "status"),
    [("colleague", 404), ("viewer", 404), ("stranger", 404), ("anonymous", 302)],
)
def test_strangers_record_no_consent(client_for, mine, persona, status):
    response = client_for(persona).post(
        url("client-consent", mine.pk), {"channel": "email", "status": "revoked"}
    )
    assert response.status_code == status
    mine.refresh_from_db()
    assert not mine.do_not_email and not ConsentRecord.objects.exists()


def test_the_agent_records_consent(client_for, mine):
    response = client_for("agent").post(
        url("client-consent", mine.pk), {"channel": "email", "status": "revoked"}
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.do_not_email
    assert ConsentRecord.objects.get().source == "agent"


# ---------- export and erasure ----------


@pytest.mark.parametrize("persona", ["agent", "broker"])
def test_the_agent_and_the_broker_download_the_export(client_for, mine, persona):
    response = client_for(persona).get(url("client-export", mine.pk))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="client-{mine.pk}.json"'
    data = json.loads(response.content)
    assert data["client"]["email"] == "dana@example.com"
    assert data["client"]["government_id"] == "•••• 1234"


@pytest.mark.parametrize("persona", [*OTHERS, "anonymous"])
def test_others_get_no_export(client_for, mine, persona):
    assert client_for(persona).get(url("client-export", mine.pk)).status_code in (302, 404)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("agent", 403), ("colleague", 403), ("stranger", 403), ("anonymous", 302)],
)
def test_only_the_broker_erases(client_for, mine, persona, status):
    assert client_for(persona).get(url("client-erase", mine.pk)).status_code == status
    response = client_for(persona).post(
        url("client-erase", mine.pk), {"reason": "asked", "confirm": "on"}
    )
    assert response.status_code == status
    mine.refresh_from_db()
    assert mine.anonymised_at is None


def test_the_broker_erases_with_a_reason(client_for, mine):
    browser = client_for("broker")
    assert browser.get(url("client-erase", mine.pk)).status_code == 200
    refused = browser.post(url("client-erase", mine.pk), {"reason": "asked"})
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    done = browser.post(url("client-erase", mine.pk), {"reason": "asked", "confirm": "on"})
    assert done.status_code == 302
    mine.refresh_from_db()
    assert mine.anonymised_at is not None and mine.email == ""


def test_a_broker_of_another_brokerage_cannot_erase(client_for, personas, mine):
    other = make_client(personas.stranger.user)
    assert (
        client_for("broker")
        .post(url("client-erase", other.pk), {"reason": "x", "confirm": "on"})
        .status_code
        == 404
    )
    other.refresh_from_db()
    assert other.anonymised_at is None


# ---------- the do-not-contact list ----------


@pytest.mark.parametrize(
    ("persona", "status"), [("agent", 403), ("viewer", 403), ("stranger", 403), ("anonymous", 302)]
)
def test_only_brokers_see_and_upload_the_dnc_list(client_for, personas, persona, status):
    entry = DoNotContactEntry.objects.create(
        brokerage=personas.brokerage, kind="email", value="a@b.com"
    )
    browser = client_for(persona)
    assert browser.get(url("do-not-contact")).status_code == status
    upload = SimpleUploadedFile("dnc.csv", b"x@example.com\n")
    assert browser.post(url("do-not-contact"), {"file": upload}).status_code == status
    assert browser.post(url("do-not-contact-delete", entry.pk)).status_code == status
    assert list(DoNotContactEntry.objects.values_list("value", flat=True)) == ["a@b.com"]


def test_the_broker_uploads_a_list_and_sees_the_report(client_for, personas, mine):
    browser = client_for("broker")
    upload = SimpleUploadedFile("dnc.csv", b"phone\n217-555-0123\nnonsense\n")
    response = browser.post(url("do-not-contact"), {"file": upload})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Line 3" in page and "1</strong> client" in page
    mine.refresh_from_db()
    assert mine.do_not_call and mine.do_not_text


def test_a_broker_removes_an_entry_of_their_own_list_only(client_for, personas):
    own = DoNotContactEntry.objects.create(
        brokerage=personas.brokerage, kind="email", value="a@b.com"
    )
    theirs = DoNotContactEntry.objects.create(
        brokerage=personas.other_brokerage, kind="email", value="c@d.com"
    )
    browser = client_for("broker")
    assert browser.post(url("do-not-contact-delete", theirs.pk)).status_code == 404
    assert browser.post(url("do-not-contact-delete", own.pk)).status_code == 302
    assert list(DoNotContactEntry.objects.values_list("value", flat=True)) == ["c@d.com"]


@pytest.mark.parametrize("count", [3, 30])
def test_the_dnc_list_uses_a_constant_number_of_queries(
    client_for, personas, django_assert_num_queries, count
):
    for n in range(count):
        DoNotContactEntry.objects.create(
            brokerage=personas.brokerage,
            kind="email",
            value=f"p{n}@example.com",
            added_by=personas.broker.user,
        )
    DoNotContactEntry.objects.create(
        brokerage=personas.other_brokerage, kind="email", value="x@y.com"
    )
    browser = client_for("broker")
    # session, user, agent profile with role, count, page of entries
    with django_assert_num_queries(5):
        response = browser.get(url("do-not-contact"), {"page_size": "50"})
    assert len(response.context["object_list"]) == count


# ---------- retention ----------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("agent", 403), ("assistant", 403), ("stranger", 403), ("anonymous", 302)],
)
def test_only_brokers_use_the_retention_page(client_for, persona, status):
    browser = client_for(persona)
    assert browser.get(url("retention")).status_code == status
    assert browser.post(url("retention"), {"step": "run"}).status_code == status
    assert not RetentionRun.objects.exists()


def test_the_broker_sets_the_period_and_runs_a_dry_run(client_for, personas):
    browser = client_for("broker")
    assert browser.get(url("retention")).status_code == 200
    response = browser.post(url("retention"), {"step": "policy", "period_months": "3"})
    assert response.status_code == 400
    browser.post(url("retention"), {"step": "policy", "period_months": "24", "enabled": "on"})
    policy = RetentionPolicy.objects.get(brokerage=personas.brokerage)
    assert (policy.period_months, policy.enabled) == (24, True)
    browser.post(url("retention"), {"step": "dry_run"})
    run = RetentionRun.objects.get()
    assert (run.dry_run, run.period_months, run.actor) == (True, 24, personas.broker.user)
    assert "Dry run of" in browser.get(url("retention")).content.decode()


# ---------- payout account ----------


def test_an_agent_keeps_their_payout_account_masked(client_for, personas):
    browser = client_for("agent")
    assert browser.get(url("payout-account")).status_code == 200
    bad = browser.post(
        url("payout-account"),
        {"account_holder": "Alice", "account_number": "12", "routing_number": "123456789"},
    )
    assert bad.status_code == 400 and not PayoutAccount.objects.exists()
    browser.post(
        url("payout-account"),
        {"account_holder": "Alice", "account_number": "12345678", "routing_number": "021000021"},
    )
    page = browser.get(url("payout-account")).content.decode()
    assert "•••• 5678" in page and "12345678" not in page and "021000021" not in page
    # Blank numbers keep the stored ones.
    browser.post(url("payout-account"), {"account_holder": "Alice B", "bank_name": "First"})
    account = PayoutAccount.objects.get(agent=personas.agent)
    assert (account.account_holder, account.account_number) == ("Alice B", "12345678")


def test_anonymous_has_no_payout_page(client_for):
    assert client_for("anonymous").get(url("payout-account")).status_code == 302


def test_the_admin_shows_bank_numbers_masked_and_only_to_the_brokerage(client_for, personas):
    account = payout_account_save(
        agent=personas.agent,
        data={
            "account_holder": "Alice",
            "account_number": "12345678",
            "routing_number": "021000021",
        },
        actor=personas.agent.user,
    )
    payout_account_save(
        agent=personas.stranger,
        data={"account_holder": "Sam", "account_number": "87654321", "routing_number": "021000021"},
        actor=personas.stranger.user,
    )
    browser = client_for("broker")
    listing = browser.get(reverse("admin:compliance_payoutaccount_changelist")).content.decode()
    assert "Alice" in listing and "Sam" not in listing and "12345678" not in listing
    page = browser.get(reverse("admin:compliance_payoutaccount_change", args=[account.pk]))
    assert page.status_code == 200
    assert "•••• 5678" in page.content.decode() and "12345678" not in page.content.decode()


def test_the_client_form_takes_the_government_id_write_only(client_for, personas, mine):
    browser = client_for("agent")
    form = browser.get(reverse("clients:edit", args=[mine.pk])).content.decode()
    assert 'name="government_id"' in form and "P-5551234" not in form
    data = {
        "first_name": "Dana",
        "last_name": mine.last_name,
        "email": mine.email,
        "phone": "",
        "alternate_email": "",
        "alternate_phone": "",
        "preferred_contact_method": "email",
        "language": "en",
        "time_zone": "",
        "street_address": "",
        "city": "",
        "state_or_province": "",
        "postal_code": "",
        "roles": ["buyer"],
        "stage": mine.stage,
        "source": "",
        "assigned_agent": personas.agent.pk,
        "tags": "",
        "notes": "",
    }
    assert browser.post(reverse("clients:edit", args=[mine.pk]), data).status_code == 302
    mine.refresh_from_db()
    assert mine.government_id == "P-5551234"  # blank keeps it
    browser.post(reverse("clients:edit", args=[mine.pk]), {**data, "government_id": "D-42424242"})
    mine.refresh_from_db()
    assert mine.government_id == "D-42424242"


def test_who_may_only_view_a_pooled_lead_does_not_learn_of_the_id(client_for, mine):
    Client.objects.filter(pk=mine.pk).update(in_pond=True, assigned_agent=None)
    page = client_for("colleague").get(mine.get_absolute_url())
    assert page.status_code == 200
    assert "•••• 1234" not in page.content.decode()
    assert "•••• 1234" in client_for("broker").get(mine.get_absolute_url()).content.decode()


def test_the_client_admin_shows_the_government_id_masked(client_for, mine):
    page = client_for("broker").get(reverse("admin:clients_client_change", args=[mine.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "•••• 1234" in body and "P-5551234" not in body
