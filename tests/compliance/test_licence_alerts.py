"""Licence expiry: the 90/60/30-day alerts go out once each, and lapsed licences are marked."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from compliance.models import Licence, LicenceAlert
from compliance.services.licences import licence_expiry_alerts_send, licences_expire
from compliance.tasks import licences_expiry_check_task
from tests.compliance.licences import make_licence

pytestmark = pytest.mark.django_db


def run_on(today):
    mail.outbox.clear()
    return licence_expiry_alerts_send(today=today)


def test_the_agent_and_the_broker_are_emailed_90_days_before_expiry(personas):
    licence = make_licence(personas.agent, days_left=90, number="IL-1")

    assert run_on(timezone.localdate()) == 1

    (message,) = mail.outbox
    assert set(message.to) == {personas.agent.user.email, personas.broker.user.email}
    assert "expires in 90 days" in message.subject
    assert "IL-1" in message.body
    assert LicenceAlert.objects.get().days_before == 90
    assert licence.alerts.count() == 1


def test_each_threshold_is_sent_exactly_once(personas):
    licence = make_licence(personas.agent, days_left=90)
    start = timezone.localdate()
    sent_per_day = {}
    # Every day from 90 days out to the expiry date, the job twice a day (a retry).
    for offset in range(0, 91):
        day = start + timedelta(days=offset)
        sent_per_day[offset] = run_on(day) + run_on(day)

    assert {offset: n for offset, n in sent_per_day.items() if n} == {0: 1, 30: 1, 60: 1}
    assert sorted(licence.alerts.values_list("days_before", flat=True)) == [30, 60, 90]


def test_a_licence_first_entered_45_days_before_expiry_gets_the_60_day_alert_only(personas):
    licence = make_licence(personas.agent, days_left=45)
    assert run_on(timezone.localdate()) == 1
    assert list(licence.alerts.values_list("days_before", flat=True)) == [60]


def test_no_alert_far_from_expiry_after_it_or_for_a_licence_not_active(personas):
    make_licence(personas.agent, days_left=91)
    make_licence(personas.colleague, days_left=-1)
    make_licence(personas.broker, days_left=30, status="suspended")
    assert run_on(timezone.localdate()) == 0
    assert mail.outbox == []


def test_a_renewal_starts_the_alerts_again(personas):
    licence = make_licence(personas.agent, days_left=30)
    run_on(timezone.localdate())
    licence.expires_on += timedelta(days=365)  # renewed for another year
    licence.save()
    later = licence.expires_on - timedelta(days=90)
    assert run_on(later) == 1
    assert licence.alerts.count() == 2


def test_a_mail_that_fails_is_not_recorded_and_the_retry_sends_it(personas, monkeypatch):
    licence = make_licence(personas.agent, days_left=60)

    def refuse(self, messages):
        raise OSError("mail server down")

    with monkeypatch.context() as patch:
        patch.setattr(EmailBackend, "send_messages", refuse)
        with pytest.raises(OSError):
            run_on(timezone.localdate())
    assert not licence.alerts.exists()

    assert run_on(timezone.localdate()) == 1
    assert licence.alerts.count() == 1


def test_licences_past_expiry_are_marked_expired_with_an_audit_entry(personas):
    past = make_licence(personas.agent, days_left=-1)
    today = make_licence(personas.colleague, days_left=0)
    suspended = make_licence(personas.broker, days_left=-5, status="suspended")

    assert licences_expire() == 1
    assert licences_expire() == 0

    past.refresh_from_db()
    today.refresh_from_db()
    suspended.refresh_from_db()
    assert (past.status, today.status, suspended.status) == ("expired", "active", "suspended")
    entry = LogEntry.objects.get_for_object(past).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.changes_dict["status"] == ["active", "expired"]


def test_the_daily_job_marks_expired_licences_and_sends_the_alerts(personas):
    make_licence(personas.agent, days_left=-3)
    make_licence(personas.colleague, days_left=30)
    result = licences_expiry_check_task.delay().get()
    assert result == {"expired": 1, "alerts": 1}
    assert Licence.objects.filter(status="expired").count() == 1
