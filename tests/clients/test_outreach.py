"""Outreach: merge fields, the Fair Housing gate, campaigns, sending once, quiet hours,
consent, throttling, delivery events and metrics."""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import TestCase

from clients.choices import (
    AttemptStatus,
    CampaignKind,
    CampaignStatus,
    EnrollmentStatus,
    StopReason,
)
from clients.models import Activity, Campaign, Client
from clients.models.outreach import OutreachAttempt, OutreachSettings, Suppression
from clients.services import campaigns as campaign_services
from clients.services.campaigns import (
    attempts_dispatch,
    campaign_create,
    campaign_metrics,
    campaign_pause,
    campaign_resume,
    campaign_start,
    campaign_step_add,
    enrollments_advance,
    outreach_attempt_send,
    outreach_run,
    outreach_send_one,
    quiet_hours_next_send,
)
from clients.services.outreach import (
    delivery_event_apply,
    merge_context,
    message_render,
    outreach_unsubscribe,
    segment_clients,
    segment_create,
    template_approve,
    template_create,
    template_preview,
    template_update,
)
from clients.tasks import outreach_attempt_send_task
from compliance.models.privacy import ConsentRecord, ConsentSource
from compliance.services.consent import consent_set_by_person
from tests.testing.clock import frozen_now
from tests.testing.factories import make_client, make_listing
from tests.testing.servers import LocalJSONServer, LocalSMTPServer

pytestmark = pytest.mark.django_db

FLAGGED = "Adults only, perfect for a couple."
NOON = datetime(2026, 6, 1, 16, 0, tzinfo=UTC)  # 12:00 in New York


def email_template(actor, body="Hi {{ client.first_name|there }}, from {{ agent.name }}.", **kw):
    data = {"name": "Hello", "channel": "email", "subject": "Hello {{ client.first_name }}"}
    data.update(kw)
    return template_create(data={**data, "body": body}, actor=actor)


def text_template(actor, body="Hi {{ client.first_name }}! New homes this week."):
    return template_create(data={"name": "Text", "channel": "text", "body": body}, actor=actor)


@pytest.fixture
def people(personas):
    user = personas.agent.user
    ann = make_client(user, first_name="Ann", last_name="Lee", phone="+12175550101")
    bob = make_client(user, first_name="Bob", last_name="Ray", phone="+12175550102")
    segment = segment_create(name="Everyone", query="", actor=user)
    return ann, bob, segment


def drip(personas, segment, *templates_and_delays, kind=CampaignKind.DRIP):
    user = personas.agent.user
    campaign = campaign_create(
        data={"name": "Spring", "segment": segment, "kind": kind}, actor=user
    )
    for template, delay in templates_and_delays:
        campaign_step_add(campaign=campaign, template=template, delay_hours=delay, actor=user)
    return campaign


def run(now):
    """One run of the beat job at ``now`` and the send tasks it dispatches (on commit, eager)."""
    with frozen_now(now), TestCase.captureOnCommitCallbacks(execute=True):
        return outreach_run()


# ---------------------------------------------------------------------------------------------
# Merge fields and preview


def test_merge_fields_render_with_fallbacks_for_missing_values(personas):
    template = email_template(personas.agent.user)
    client = make_client(personas.agent.user, first_name="", last_name="Stone")
    rendered = message_render(template=template, context=merge_context(client=client))
    assert rendered.body == f"Hi there, from {personas.agent.name}."
    assert rendered.subject == "Hello"
    assert rendered.missing == ["client.first_name"]


def test_values_are_escaped_in_the_html_email(personas):
    template = email_template(personas.agent.user, body="Dear {{ client.first_name }},")
    client = make_client(personas.agent.user, first_name="<b>Eve</b>")
    rendered = message_render(
        template=template,
        context=merge_context(client=client),
        opt_out=True,
        unsubscribe_url="https://x/u",
    )
    assert "&lt;b&gt;Eve&lt;/b&gt;" in rendered.html_body
    assert "<b>Eve</b>" not in rendered.html_body
    assert "Dear <b>Eve</b>," in rendered.body
    assert 'href="https://x/u"' in rendered.html_body


def test_unknown_merge_fields_are_refused(personas):
    with pytest.raises(ValidationError) as error:
        email_template(personas.agent.user, body="{{ client.government_id }}")
    assert "client.government_id" in str(error.value.message_dict["body"])


def test_preview_shows_real_data_of_a_client_and_listing(personas):
    user = personas.agent.user
    template = email_template(user, body="{{ client.first_name }}: {{ listing.address }}")
    client = make_client(user, first_name="Ann")
    listing = make_listing(user)
    rendered = template_preview(template=template, actor=user, client=client, listing=listing)
    assert rendered.body.startswith(f"Ann: {listing.street_address}")


def test_preview_refuses_a_client_of_someone_else(personas):
    template = email_template(personas.agent.user)
    other = make_client(personas.stranger.user)
    with pytest.raises(PermissionDenied):
        template_preview(template=template, actor=personas.agent.user, client=other)


# ---------------------------------------------------------------------------------------------
# Fair Housing


def test_a_template_with_fair_housing_findings_blocks_the_campaign(personas, people):
    _, _, segment = people
    template = email_template(personas.agent.user, body=FLAGGED)
    assert template.findings
    campaign = drip(personas, segment, (template, 0), kind=CampaignKind.ONE_OFF)
    with pytest.raises(ValidationError) as error:
        campaign_start(campaign=campaign, actor=personas.agent.user)
    assert "Fair Housing" in str(error.value)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    assert not campaign.enrollments.exists()


def test_a_broker_override_lets_the_template_be_used(personas, people):
    _, _, segment = people
    template = email_template(personas.agent.user, body=FLAGGED)
    with pytest.raises(PermissionDenied):
        template_approve(template=template, reason="Senior housing.", actor=personas.agent.user)
    template_approve(template=template, reason="Senior housing.", actor=personas.broker.user)
    campaign = drip(personas, segment, (template, 0), kind=CampaignKind.ONE_OFF)
    assert campaign_start(campaign=campaign, actor=personas.agent.user) == 2
    # Changing the text needs a new approval.
    template_update(
        template=template, data={"body": FLAGGED + " Call us."}, actor=personas.agent.user
    )
    second = drip(personas, segment, (template, 0), kind=CampaignKind.ONE_OFF)
    with pytest.raises(ValidationError):
        campaign_start(campaign=second, actor=personas.agent.user)


# ---------------------------------------------------------------------------------------------
# Segments


def test_a_segment_applies_the_client_filters_as_its_owner_sees_them(personas):
    user = personas.agent.user
    hot = make_client(user, first_name="Hot", stage="active")
    make_client(user, first_name="Cold", stage="lost")
    make_client(personas.colleague.user, first_name="Theirs", stage="active")
    segment = segment_create(name="Active", query="stage=active&page=3", actor=user)
    assert segment.query == "stage=active"
    assert list(segment_clients(segment=segment)) == [hot]


def test_a_segment_with_a_bad_filter_is_refused(personas):
    with pytest.raises(ValidationError) as error:
        segment_create(name="Bad", query="colour=red", actor=personas.agent.user)
    assert "query" in error.value.message_dict


# ---------------------------------------------------------------------------------------------
# Sending


def test_a_one_off_campaign_emails_each_client_once(personas, people):
    ann, bob, segment = people
    campaign = drip(personas, segment, (email_template(personas.agent.user), 0), kind="one_off")
    campaign_start(campaign=campaign, actor=personas.agent.user, now=NOON)
    run(NOON)
    assert sorted(message.to[0] for message in mail.outbox) == sorted([ann.email, bob.email])
    message = next(m for m in mail.outbox if m.to == [ann.email])
    assert message.subject == "Hello Ann"
    assert "List-Unsubscribe" in message.extra_headers
    attempt = OutreachAttempt.objects.get(client=ann)
    assert attempt.status == AttemptStatus.SENT
    assert attempt.provider_message_id
    assert str(attempt.unsubscribe_token) in message.body
    assert Activity.objects.filter(client=ann, details__outreach_attempt=attempt.pk).exists()
    run(NOON + timedelta(minutes=1))
    assert len(mail.outbox) == 2
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED


def test_the_send_task_run_twice_sends_once(personas, people):
    ann, _, _ = people
    template = email_template(personas.agent.user)
    attempt = outreach_send_one(client=ann, template=template, actor=personas.agent.user)
    assert outreach_attempt_send_task.delay(attempt_id=attempt.pk).get() == AttemptStatus.SENT
    assert outreach_attempt_send_task.delay(attempt_id=attempt.pk).get() == AttemptStatus.SENT
    assert len(mail.outbox) == 1


def test_a_send_interrupted_after_the_claim_is_never_sent_again(personas, people):
    ann, _, _ = people
    attempt = outreach_send_one(
        client=ann, template=email_template(personas.agent.user), actor=personas.agent.user
    )
    # A worker claimed it and died: the retried task finds it claimed and sends nothing.
    OutreachAttempt.objects.filter(pk=attempt.pk).update(
        status=AttemptStatus.SENDING, claimed_at=NOON
    )
    assert outreach_attempt_send(attempt_id=attempt.pk, now=NOON) == AttemptStatus.SENDING
    attempts_dispatch(now=NOON + timedelta(hours=2))
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.FAILED
    assert "interrupted" in attempt.skip_reason
    assert mail.outbox == []


def test_a_client_who_asked_not_to_be_emailed_is_skipped_with_the_reason(personas, people):
    ann, bob, segment = people
    consent_set_by_person(client=ann, channel="email", status="revoked", actor=personas.agent.user)
    user = personas.agent.user
    campaign = drip(personas, segment, (email_template(user), 0), (email_template(user), 1))
    campaign_start(campaign=campaign, actor=user, now=NOON)
    run(NOON)
    assert [message.to for message in mail.outbox] == [[bob.email]]
    run(NOON + timedelta(hours=1))
    assert [message.to for message in mail.outbox] == [[bob.email], [bob.email]]
    skipped = OutreachAttempt.objects.get(client=ann)
    assert skipped.status == AttemptStatus.SKIPPED
    assert skipped.skip_reason == "The client asked not to be contacted by email."
    enrollment = campaign.enrollments.get(client=ann)
    assert (enrollment.status, enrollment.stop_reason) == ("stopped", StopReason.DO_NOT_CONTACT)


def test_a_suppressed_address_is_skipped(personas, people):
    ann, _, _ = people
    Suppression.objects.create(
        brokerage=personas.brokerage, channel="email", address=ann.email, reason="bounced"
    )
    attempt = outreach_send_one(
        client=ann, template=email_template(personas.agent.user), actor=personas.agent.user
    )
    assert outreach_attempt_send(attempt_id=attempt.pk) == AttemptStatus.SKIPPED
    attempt.refresh_from_db()
    assert "suppressed" in attempt.skip_reason
    assert mail.outbox == []


def test_a_text_due_at_night_waits_for_eight_in_the_clients_time_zone(personas, people, capsys):
    ann, bob, segment = people
    Client.objects.filter(pk=ann.pk).update(time_zone="America/Chicago")
    campaign = drip(personas, segment, (text_template(personas.agent.user), 0), kind="one_off")
    # 22:00 in Chicago, 23:00 in New York (Bob has no time zone: the brokerage's).
    night = datetime(2026, 6, 2, 3, 0, tzinfo=UTC)
    campaign_start(campaign=campaign, actor=personas.agent.user, now=night)
    run(night)
    assert OutreachAttempt.objects.filter(status=AttemptStatus.SENT).count() == 0
    ann_attempt = OutreachAttempt.objects.get(client=ann)
    assert ann_attempt.scheduled_for == datetime(2026, 6, 2, 13, 0, tzinfo=UTC)  # 08:00 Chicago
    bob_attempt = OutreachAttempt.objects.get(client=bob)
    assert bob_attempt.scheduled_for == datetime(2026, 6, 2, 12, 0, tzinfo=UTC)  # 08:00 NY
    run(datetime(2026, 6, 2, 12, 0, tzinfo=UTC))
    assert set(OutreachAttempt.objects.filter(status="sent").values_list("client", flat=True)) == {
        bob.pk
    }
    run(datetime(2026, 6, 2, 13, 0, tzinfo=UTC))
    assert OutreachAttempt.objects.filter(status="sent").count() == 2
    assert "Hi Ann! New homes this week." in capsys.readouterr().out


def test_quiet_hours_follow_the_brokerage_settings(personas):
    client = make_client(personas.agent.user, time_zone="Europe/Paris")
    settings_row = OutreachSettings(quiet_hours_start=time(20, 0), quiet_hours_end=time(9, 0))
    at_eight_pm = datetime(2026, 1, 10, 19, 30, tzinfo=UTC)  # 20:30 in Paris
    assert quiet_hours_next_send(
        client=client, when=at_eight_pm, outreach_settings=settings_row
    ) == datetime(2026, 1, 11, 8, 0, tzinfo=UTC)
    midday = datetime(2026, 1, 10, 11, 0, tzinfo=UTC)
    assert (
        quiet_hours_next_send(client=client, when=midday, outreach_settings=settings_row) == midday
    )


def test_the_drip_sends_step_two_after_its_delay(personas, people):
    ann, bob, segment = people
    user = personas.agent.user
    first, second = email_template(user), email_template(user, name="Follow-up", subject="Again")
    campaign = drip(personas, segment, (first, 0), (second, 48))
    campaign_start(campaign=campaign, actor=user, now=NOON)
    run(NOON)
    assert len(mail.outbox) == 2
    run(NOON + timedelta(hours=47))
    assert len(mail.outbox) == 2
    run(NOON + timedelta(hours=48))
    assert sorted(message.subject for message in mail.outbox) == [
        "Again",
        "Again",
        "Hello Ann",
        "Hello Bob",
    ]
    assert set(campaign.enrollments.values_list("status", flat=True)) == {EnrollmentStatus.FINISHED}


def test_a_paused_campaign_sends_nothing_and_resumes_with_its_spacing(personas, people):
    ann, bob, segment = people
    user = personas.agent.user
    campaign = drip(personas, segment, (email_template(user), 0), (email_template(user), 24))
    campaign_start(campaign=campaign, actor=user, now=NOON)
    run(NOON)
    campaign_pause(campaign=campaign, actor=user, now=NOON + timedelta(hours=1))
    run(NOON + timedelta(hours=30))
    assert len(mail.outbox) == 2
    campaign_resume(campaign=campaign, actor=user, now=NOON + timedelta(hours=11))
    # Paused ten hours: the second step is due 34 hours after the start.
    run(NOON + timedelta(hours=33))
    assert len(mail.outbox) == 2
    run(NOON + timedelta(hours=34))
    assert len(mail.outbox) == 4


def test_only_the_owner_or_broker_can_start_or_pause(personas, people):
    _, _, segment = people
    campaign = drip(personas, segment, (email_template(personas.agent.user), 0))
    with pytest.raises(PermissionDenied):
        campaign_start(campaign=campaign, actor=personas.colleague.user)
    campaign_start(campaign=campaign, actor=personas.broker.user, now=NOON)
    with pytest.raises(PermissionDenied):
        campaign_pause(campaign=campaign, actor=personas.stranger.user)


def test_sends_are_throttled_per_brokerage_and_channel(personas, people):
    _, _, segment = people
    user = personas.agent.user
    for number in range(3):
        make_client(user, first_name=f"Extra{number}")
    OutreachSettings.objects.create(brokerage=personas.brokerage, email_per_minute=2)
    campaign = drip(personas, segment, (email_template(user), 0), kind="one_off")
    campaign_start(campaign=campaign, actor=user, now=NOON)
    run(NOON)
    assert len(mail.outbox) == 2
    run(NOON + timedelta(seconds=30))
    assert len(mail.outbox) == 2
    run(NOON + timedelta(minutes=1, seconds=1))
    assert len(mail.outbox) == 4
    run(NOON + timedelta(minutes=2, seconds=2))
    assert len(mail.outbox) == 5


# ---------------------------------------------------------------------------------------------
# What clients do


def _sent_campaign(personas, people, template=None):
    ann, bob, segment = people
    user = personas.agent.user
    template = template or email_template(user)
    campaign = drip(personas, segment, (template, 0), (email_template(user, name="Two"), 24))
    campaign_start(campaign=campaign, actor=user, now=NOON)
    run(NOON)
    return (
        campaign,
        OutreachAttempt.objects.get(client=ann),
        OutreachAttempt.objects.get(client=bob),
    )


def test_a_reply_stops_the_clients_campaign_and_goes_on_the_timeline(personas, people):
    campaign, ann_attempt, _ = _sent_campaign(personas, people)
    result = delivery_event_apply(
        brokerage=personas.brokerage,
        payload={
            "type": "email.replied",
            "data": {"message_id": ann_attempt.provider_message_id, "text": "Call me!"},
        },
    )
    assert result == "reply recorded"
    enrollment = campaign.enrollments.get(client=ann_attempt.client)
    assert (enrollment.status, enrollment.stop_reason) == ("stopped", StopReason.REPLIED)
    assert Activity.objects.filter(client=ann_attempt.client, body="Call me!").exists()
    run(NOON + timedelta(hours=25))
    assert len(mail.outbox) == 3  # Bob's second step only


def test_stop_by_text_unsubscribes_through_the_consent_log(personas, people):
    ann, _, segment = people
    campaign = drip(personas, segment, (text_template(personas.agent.user), 0), kind="one_off")
    campaign_start(campaign=campaign, actor=personas.agent.user, now=NOON)
    run(NOON)
    delivery_event_apply(
        brokerage=personas.brokerage,
        payload={"type": "sms.replied", "data": {"phone": ann.phone, "text": "STOP"}},
    )
    ann.refresh_from_db()
    assert ann.do_not_text
    assert ConsentRecord.objects.filter(client=ann, source=ConsentSource.UNSUBSCRIBE).exists()
    assert OutreachAttempt.objects.get(client=ann).unsubscribed_at is not None


def test_the_unsubscribe_link_withdraws_email_consent_and_stops_the_campaign(personas, people):
    campaign, ann_attempt, _ = _sent_campaign(personas, people)
    assert outreach_unsubscribe(token=ann_attempt.unsubscribe_token).pk == ann_attempt.pk
    client = Client.objects.get(pk=ann_attempt.client_id)
    assert client.do_not_email
    enrollment = campaign.enrollments.get(client=client)
    assert enrollment.stop_reason == StopReason.UNSUBSCRIBED
    assert outreach_unsubscribe(token=ann_attempt.unsubscribe_token) is not None  # twice: fine


def test_a_bounce_suppresses_the_address(personas, people):
    campaign, ann_attempt, _ = _sent_campaign(personas, people)
    delivery_event_apply(
        brokerage=personas.brokerage,
        payload={"type": "email.bounced", "data": {"message_id": ann_attempt.provider_message_id}},
    )
    assert Suppression.objects.filter(address=ann_attempt.to_address, reason="bounced").exists()
    enrollment = campaign.enrollments.get(client=ann_attempt.client)
    assert enrollment.stop_reason == StopReason.SUPPRESSED


def test_unknown_event_types_are_refused(personas):
    with pytest.raises(ValidationError):
        delivery_event_apply(brokerage=personas.brokerage, payload={"type": "x", "data": {}})


def test_metrics_count_each_step_in_one_query(personas, people, django_assert_num_queries):
    campaign, ann_attempt, bob_attempt = _sent_campaign(personas, people)
    for kind, attempt in (
        ("email.delivered", ann_attempt),
        ("email.opened", bob_attempt),
        ("email.clicked", bob_attempt),
        ("email.bounced", ann_attempt),
    ):
        delivery_event_apply(
            brokerage=personas.brokerage,
            payload={"type": kind, "data": {"message_id": attempt.provider_message_id}},
        )
    run(NOON + timedelta(hours=24))
    with django_assert_num_queries(1):
        metrics = campaign_metrics(campaign=campaign)
    first, second = metrics["steps"]
    assert (first["position"], first["sent"], first["delivered"], first["opened"]) == (1, 2, 2, 1)
    assert (first["clicked"], first["bounced"]) == (1, 1)
    assert (second["position"], second["sent"], second["skipped"]) == (2, 1, 0)
    assert metrics["totals"]["sent"] == 3


# ---------------------------------------------------------------------------------------------
# Real channels against local servers


@pytest.fixture
def smtp_server(settings):
    server = LocalSMTPServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()


def test_campaign_email_goes_through_a_real_smtp_server(personas, people, smtp_server):
    ann, _, _ = people
    template = email_template(personas.agent.user, body="Hi {{ client.first_name }} & co")
    attempt = outreach_send_one(client=ann, template=template, actor=personas.agent.user)
    assert outreach_attempt_send(attempt_id=attempt.pk) == AttemptStatus.SENT
    [received] = smtp_server.messages
    assert received.recipients == [ann.email]
    message = received.message
    assert message["Subject"] == "Hello Ann"
    attempt.refresh_from_db()
    assert message["Message-ID"].strip("<>") == attempt.provider_message_id
    html = message.get_body(("html",)).get_content()
    assert "Hi Ann &amp; co" in html


def test_a_refused_address_fails_the_attempt_for_good(personas, people, smtp_server):
    ann, _, _ = people
    smtp_server.refuse_recipients.add(ann.email)
    attempt = outreach_send_one(
        client=ann, template=email_template(personas.agent.user), actor=personas.agent.user
    )
    assert outreach_attempt_send(attempt_id=attempt.pk) == AttemptStatus.FAILED


@pytest.fixture
def sms_server(settings):
    server = LocalJSONServer(answer=(201, {"id": "SM123"})).start()
    settings.SMS_API_URL = server.url
    settings.SMS_API_TOKEN = "test-token"
    settings.SMS_FROM_NUMBER = "+15550000000"
    yield server
    server.stop()


def test_texts_go_to_the_http_provider_with_the_token(personas, people, sms_server):
    ann, _, _ = people
    attempt = outreach_send_one(
        client=ann, template=text_template(personas.agent.user), actor=personas.agent.user, now=NOON
    )
    assert outreach_attempt_send(attempt_id=attempt.pk, now=NOON) == AttemptStatus.SENT
    [request] = sms_server.requests
    assert request["headers"]["Authorization"] == "Bearer test-token"
    assert request["json"] == {
        "to": "+12175550101",
        "from": "+15550000000",
        "body": "Hi Ann! New homes this week.\nReply STOP to opt out.",
    }
    attempt.refresh_from_db()
    assert attempt.provider_message_id == "SM123"


def test_a_provider_outage_leaves_the_text_queued_for_a_later_try(personas, people, sms_server):
    ann, _, _ = people
    sms_server.answer = (503, {"error": "busy"})
    attempt = outreach_send_one(
        client=ann, template=text_template(personas.agent.user), actor=personas.agent.user, now=NOON
    )
    assert outreach_attempt_send(attempt_id=attempt.pk, now=NOON) == AttemptStatus.QUEUED
    attempt.refresh_from_db()
    assert attempt.scheduled_for > NOON
    assert "503" in attempt.error
    sms_server.answer = (200, {"id": "SM9"})
    later = attempt.scheduled_for
    assert outreach_attempt_send(attempt_id=attempt.pk, now=later) == AttemptStatus.SENT


def test_the_run_takes_a_lock(personas):
    from django.core.cache import cache

    cache.add(campaign_services.RUN_LOCK, "1")
    assert outreach_run(now=NOON) == {"skipped": "another run holds the lock"}


def test_enrolment_is_idempotent_per_step(personas, people):
    _, _, segment = people
    campaign = drip(personas, segment, (email_template(personas.agent.user), 0), kind="one_off")
    campaign_start(campaign=campaign, actor=personas.agent.user, now=NOON)
    assert enrollments_advance(now=NOON) == 2
    assert enrollments_advance(now=NOON) == 0
    assert OutreachAttempt.objects.count() == 2


def test_money_merge_field(personas):
    user = personas.agent.user
    template = email_template(user, body="{{ listing.price }}")
    listing = make_listing(user, list_price=Decimal("450000"))
    rendered = template_preview(template=template, actor=user, listing=listing)
    assert rendered.body.startswith("$450,000")


def test_braces_that_are_not_a_merge_field_are_refused(personas):
    with pytest.raises(ValidationError) as error:
        email_template(personas.agent.user, body="Hi {{ Client.First_Name }}")
    assert "Client.First_Name" in str(error.value.message_dict["body"])


def test_a_template_changed_after_the_start_is_not_sent_with_unapproved_wording(personas, people):
    ann, bob, segment = people
    user = personas.agent.user
    template = email_template(user)
    campaign = drip(personas, segment, (template, 0), kind="one_off")
    campaign_start(campaign=campaign, actor=user, now=NOON)
    template_update(template=template, data={"body": FLAGGED}, actor=user)
    run(NOON)
    assert mail.outbox == []
    assert set(OutreachAttempt.objects.values_list("skip_reason", flat=True)) == {
        campaign_services.SKIP_FAIR_HOUSING
    }


def test_a_provider_failing_again_and_again_fails_the_attempt_in_the_end(personas, people):
    ann, _, _ = people
    server = LocalJSONServer(answer=(503, {})).start()
    try:
        from django.test import override_settings

        with override_settings(SMS_API_URL=server.url):
            attempt = outreach_send_one(
                client=ann, template=text_template(personas.agent.user), actor=personas.agent.user
            )
            when = NOON
            results = []
            for _ in range(campaign_services.MAX_TRIES):
                results.append(outreach_attempt_send(attempt_id=attempt.pk, now=when))
                attempt.refresh_from_db()
                when = max(when, attempt.scheduled_for)
    finally:
        server.stop()
    assert results == [AttemptStatus.QUEUED] * (campaign_services.MAX_TRIES - 1) + [
        AttemptStatus.FAILED
    ]
    assert attempt.tries == campaign_services.MAX_TRIES
    assert len(server.requests) == campaign_services.MAX_TRIES


def test_event_times_are_kept_as_the_provider_gives_them(personas, people):
    _, ann_attempt, _ = _sent_campaign(personas, people)
    delivery_event_apply(
        brokerage=personas.brokerage,
        payload={
            "type": "email.opened",
            "data": {
                "message_id": ann_attempt.provider_message_id,
                "occurred_at": "2026-06-01T17:30:00",
            },
        },
    )
    ann_attempt.refresh_from_db()
    assert ann_attempt.opened_at == datetime(2026, 6, 1, 17, 30, tzinfo=UTC)
    assert ann_attempt.delivered_at == ann_attempt.opened_at


def test_a_campaign_goes_to_the_segment_clients_its_owner_may_see(personas):
    agent, broker = personas.agent.user, personas.broker.user
    mine = make_client(agent, first_name="Mine")
    make_client(personas.colleague.user, first_name="Theirs")
    # The broker's segment holds every client of the brokerage; the agent's campaign does not.
    segment = segment_create(name="Everyone", query="", actor=broker)
    assert segment_clients(segment=segment).count() == 2
    template = email_template(agent)
    campaign = campaign_create(
        data={"name": "X", "segment": segment, "kind": "one_off"}, actor=broker
    )
    Campaign.objects.filter(pk=campaign.pk).update(owner=personas.agent)
    campaign.refresh_from_db()
    campaign_step_add(campaign=campaign, template=template, delay_hours=0, actor=agent)
    assert campaign_start(campaign=campaign, actor=agent) == 1
    assert list(campaign.enrollments.values_list("client", flat=True)) == [mine.pk]
