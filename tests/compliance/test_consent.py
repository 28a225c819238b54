"""Contact consent: the consent log keeps the do-not-contact flags, every send path asks
``contact_allowed``, the unsubscribe link, and the brokerage's do-not-contact list."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from clients.choices import AlertFrequency, Channel
from clients.imports import clients_import
from clients.models import Client
from clients.services.alerts import (
    listing_alerts_match,
    listing_alerts_send,
    saved_search_create,
    saved_search_unsubscribe,
)
from clients.services.intake import intake_key_create, lead_intake
from clients.services.people import client_update
from clients.services.showings import showing_create, showing_reminders_send
from compliance.models import ConsentRecord, DoNotContactEntry
from compliance.models.privacy import ConsentSource, ConsentStatus, ContactPurpose
from compliance.services.consent import (
    consent_record,
    contact_allowed,
    do_not_contact_import,
)
from tests.testing.factories import listing_data, make_client, make_listing
from tests.transactions.test_documents import deal, document, milestone
from transactions.services.signing import signing_request_create

__all__ = ["deal", "document", "milestone"]


@pytest.fixture
def buyer(personas):
    return make_client(
        personas.agent.user,
        first_name="Dana",
        last_name="Buyer",
        email="dana@example.com",
        phone="2175550123",
    )


def flags(client):
    client.refresh_from_db()
    return (client.do_not_email, client.do_not_call, client.do_not_text)


# ---------- the consent log ----------


def test_a_decision_sets_the_flag_and_is_logged_once(personas, buyer):
    record = consent_record(
        client=buyer,
        channel=Channel.TEXT,
        status=ConsentStatus.REVOKED,
        source=ConsentSource.AGENT,
        actor=personas.agent.user,
        note="Said stop on the phone",
    )
    assert flags(buyer) == (False, False, True)
    assert (record.channel, record.status, record.source) == ("text", "revoked", "agent")
    again = consent_record(
        client=buyer, channel=Channel.TEXT, status=ConsentStatus.REVOKED, source="agent"
    )
    assert again is None
    assert ConsentRecord.objects.filter(client=buyer).count() == 1


def test_the_log_is_append_only(personas, buyer):
    record = consent_record(
        client=buyer, channel=Channel.EMAIL, status=ConsentStatus.REVOKED, source="agent"
    )
    record.note = "changed"
    with pytest.raises(ValidationError):
        record.save()


def test_the_client_form_and_api_write_through_the_log(personas, buyer, api_for):
    client_update(client=buyer, data={"do_not_call": True}, actor=personas.agent.user)
    response = api_for("agent").patch(
        f"/api/v1/clients/{buyer.pk}/", {"do_not_email": True}, format="json"
    )
    assert response.status_code == 200
    assert flags(buyer) == (True, True, False)
    assert list(
        ConsentRecord.objects.filter(client=buyer)
        .order_by("pk")
        .values_list("channel", "status", "source")
    ) == [("phone", "revoked", "form"), ("email", "revoked", "api")]


def test_an_import_closes_a_channel_but_never_reopens_one(personas, buyer):
    consent_record(
        client=buyer, channel=Channel.EMAIL, status=ConsentStatus.REVOKED, source="agent"
    )
    report = clients_import(
        records=[("Line 2", {"email": buyer.email, "do_not_email": "no", "do_not_text": "yes"})],
        actor=personas.agent.user,
        on_duplicate="update",
    )
    assert report.outcomes[0].status == "updated", report.outcomes[0].errors
    assert flags(buyer) == (True, False, True)
    assert ConsentRecord.objects.filter(client=buyer, source="import").count() == 1


# ---------- every send path ----------


def test_contact_allowed_reads_flag_address_and_anonymisation(personas, buyer):
    email, marketing = Channel.EMAIL, ContactPurpose.MARKETING
    assert contact_allowed(client=buyer, channel=email, purpose=marketing)
    buyer.do_not_email = True
    assert not contact_allowed(client=buyer, channel=email, purpose=marketing)
    buyer.do_not_email, buyer.email = False, ""
    assert not contact_allowed(client=buyer, channel=email, purpose=marketing)
    buyer.email, buyer.anonymised_at = "dana@example.com", timezone.now()
    assert not contact_allowed(client=buyer, channel=email, purpose=marketing)


def test_listing_alerts_are_not_sent_to_a_client_who_said_stop(personas, buyer):
    saved_search_create(
        client=buyer,
        criteria={"city": "Springfield"},
        name="Springfield",
        frequency=AlertFrequency.INSTANT,
        actor=personas.agent.user,
    )
    make_listing(personas.agent.user, **{**listing_data(), "city": "Springfield"})
    listing_alerts_match()
    consent_record(
        client=buyer, channel=Channel.EMAIL, status=ConsentStatus.REVOKED, source="agent"
    )
    assert listing_alerts_send(frequency=AlertFrequency.INSTANT) == 0
    assert mail.outbox == []


def test_a_showing_reminder_skips_the_client_who_said_stop(personas, buyer):
    listing = make_listing(personas.agent.user)
    starts = timezone.now() + timedelta(minutes=30)
    showing_create(
        data={
            "listing": listing,
            "starts_at": starts,
            "ends_at": starts + timedelta(hours=1),
            "client": buyer,
        },
        actor=personas.agent.user,
    )
    consent_record(
        client=buyer, channel=Channel.EMAIL, status=ConsentStatus.REVOKED, source="agent"
    )
    assert showing_reminders_send() == 1
    assert [message.to for message in mail.outbox] == [[personas.agent.user.email]]


def test_a_signature_request_is_refused_for_a_client_who_said_stop(personas, buyer, document):
    consent_record(
        client=buyer, channel=Channel.EMAIL, status=ConsentStatus.REVOKED, source="agent"
    )
    with pytest.raises(ValidationError) as exc:
        signing_request_create(
            document=document,
            signers=[{"name": "Dana Buyer", "email": "Dana@Example.com"}],
            actor=personas.agent.user,
        )
    assert "Dana Buyer asked not to be emailed." in exc.value.messages
    assert mail.outbox == []


def test_a_signature_request_is_refused_for_an_address_on_the_dnc_list(personas, document):
    DoNotContactEntry.objects.create(
        brokerage=personas.brokerage, kind="email", value="lee@example.com"
    )
    with pytest.raises(ValidationError):
        signing_request_create(
            document=document,
            signers=[{"name": "Lee", "email": "lee@example.com"}],
            actor=personas.agent.user,
        )


def test_a_stop_between_request_and_email_withholds_the_link(
    personas, buyer, document, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        signing_request_create(
            document=document,
            signers=[{"name": "Dana Buyer", "email": buyer.email}],
            actor=personas.agent.user,
        )
    consent_record(
        client=buyer, channel=Channel.EMAIL, status=ConsentStatus.REVOKED, source="agent"
    )
    for callback in callbacks:
        callback()
    assert mail.outbox == []


# ---------- the unsubscribe link ----------


def test_the_unsubscribe_link_can_stop_every_email(personas, buyer, client_for):
    search = saved_search_create(
        client=buyer,
        criteria={"city": "Springfield"},
        name="Springfield",
        frequency=AlertFrequency.DAILY,
        actor=personas.agent.user,
    )
    response = client_for("anonymous").post(
        f"/clients/unsubscribe/{search.unsubscribe_token}/", {"all": "1"}
    )
    assert response.status_code == 200
    assert "will send you no more emails" in response.content.decode()
    assert flags(buyer) == (True, False, False)
    record = ConsentRecord.objects.get(client=buyer)
    assert (record.source, record.actor) == ("unsubscribe", None)
    # Only that search's alerts when the client asks for just that.
    other = make_client(personas.agent.user, email="other@example.com")
    search = saved_search_create(
        client=other,
        criteria={"city": "Springfield"},
        name="S",
        frequency=AlertFrequency.DAILY,
        actor=personas.agent.user,
    )
    saved_search_unsubscribe(token=search.unsubscribe_token)
    assert flags(other) == (False, False, False)


# ---------- the do-not-contact list ----------


def test_a_dnc_file_closes_channels_and_reports_bad_lines(personas, buyer):
    other = make_client(personas.agent.user, email="x@example.com", phone="")
    stranger_client = make_client(personas.stranger.user, phone="2175550123")
    content = b"Email,Phone\ndana@example.com,\n,(217) 555-0123\nnot-an-email,\n,12\n"
    report = do_not_contact_import(
        content=content, list_name="state-dnc.csv", actor=personas.broker.user
    )
    assert (report.read, report.added, report.clients_changed) == (2, 2, 1)
    assert [line for line, _, _ in report.errors] == [4, 5]
    assert flags(buyer) == (True, True, True)
    assert flags(other) == (False, False, False)
    assert flags(stranger_client) == (False, False, False)
    assert set(ConsentRecord.objects.filter(client=buyer).values_list("source", "note")) == {
        ("dnc_list", "state-dnc.csv")
    }
    # The same file again adds nothing and changes nobody.
    again = do_not_contact_import(
        content=content, list_name="again.csv", actor=personas.broker.user
    )
    assert (again.added, again.clients_changed) == (0, 0)


def test_a_registry_file_without_header_and_with_split_area_codes(personas, buyer):
    report = do_not_contact_import(
        content=b"217,5550123\n3125550188\n", list_name="ftc.txt", actor=personas.broker.user
    )
    assert (report.read, report.errors) == (2, [])
    assert set(DoNotContactEntry.objects.values_list("value", flat=True)) == {
        "+12175550123",
        "+13125550188",
    }
    assert flags(buyer) == (False, True, True)


def test_only_a_broker_imports_a_dnc_list(personas):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        do_not_contact_import(content=b"a@b.com\n", list_name="x", actor=personas.agent.user)
    assert not DoNotContactEntry.objects.exists()


def test_clients_added_later_are_checked_against_the_list(personas):
    DoNotContactEntry.objects.create(
        brokerage=personas.brokerage, kind="phone", value="+12175550199", list_name="dnc.csv"
    )
    DoNotContactEntry.objects.create(
        brokerage=personas.brokerage, kind="email", value="new@example.com", list_name="dnc.csv"
    )
    created = make_client(personas.agent.user, email="a@example.com", phone="217-555-0199")
    assert flags(created) == (False, True, True)
    report = clients_import(
        records=[("Line 2", {"first_name": "Imp", "email": "new@example.com"})],
        actor=personas.agent.user,
    )
    assert flags(Client.objects.get(pk=report.outcomes[0].client_id)) == (True, False, False)
    DoNotContactEntry.objects.create(
        brokerage=personas.brokerage, kind="phone", value="+12175550177", list_name="dnc.csv"
    )
    key, _ = intake_key_create(brokerage=personas.brokerage, name="Zillow")
    lead, was_created = lead_intake(
        brokerage=personas.brokerage,
        data={"first_name": "Web", "phone": "(217) 555-0177"},
        intake_key=key,
    )
    assert was_created and flags(lead) == (False, True, True)
    # An agent who later gets express consent reopens the channel on purpose.
    client_update(client=created, data={"do_not_call": False}, actor=personas.agent.user)
    assert flags(created) == (False, False, True)
