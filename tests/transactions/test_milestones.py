"""Milestones: due dates that follow the key dates, done and waived, and daily reminders."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from tests.transactions.factories import make_deal, make_template
from transactions.choices import DateField
from transactions.models import Milestone
from transactions.selectors import agent_deal_milestones
from transactions.services.deals import (
    deal_update,
    milestone_add,
    milestone_complete,
    milestone_reminders_send,
    milestone_reopen,
    milestone_waive,
)
from transactions.tasks import milestone_reminders_task

pytestmark = pytest.mark.django_db

TODAY = date(2025, 5, 1)


@pytest.fixture
def deal(personas):
    make_template(
        personas.brokerage,
        [
            {"title": "Inspection", "due_from": DateField.INSPECTION},
            {"title": "Appraisal", "due_from": DateField.APPRAISAL, "due_offset_days": 2},
        ],
    )
    return make_deal(
        personas.agent.user,
        inspection_deadline=TODAY - timedelta(days=1),
        appraisal_deadline=TODAY,
    )


def test_new_key_dates_move_open_milestones_only(personas, deal):
    inspection = deal.milestones.get(title="Inspection")
    milestone_complete(milestone=inspection, actor=personas.agent.user)
    deal_update(
        deal=deal,
        data={"inspection_deadline": date(2025, 6, 1), "appraisal_deadline": date(2025, 6, 5)},
        actor=personas.agent.user,
    )
    due = dict(deal.milestones.values_list("title", "due_on"))
    assert due == {"Inspection": TODAY - timedelta(days=1), "Appraisal": date(2025, 6, 7)}


def test_complete_waive_reopen(personas, deal):
    user = personas.agent.user
    milestone = deal.milestones.get(title="Appraisal")
    with pytest.raises(ValidationError):
        milestone_waive(milestone=milestone, reason=" ", actor=user)
    milestone_waive(milestone=milestone, reason="Cash buyer", actor=user)
    with pytest.raises(ValidationError):
        milestone_complete(milestone=milestone, actor=user)
    milestone_reopen(milestone=milestone, actor=user)
    milestone_complete(milestone=milestone, actor=user)
    milestone.refresh_from_db()
    assert milestone.done_at and not milestone.waived_at and not milestone.waived_reason


def test_colleague_cannot_tick_a_milestone_of_a_deal_they_are_not_in(personas, deal):
    milestone = deal.milestones.first()
    with pytest.raises(PermissionDenied):
        milestone_complete(milestone=milestone, actor=personas.colleague.user)
    assert Milestone.objects.get(pk=milestone.pk).done_at is None


def test_ad_hoc_milestone(personas, deal):
    milestone = milestone_add(
        deal=deal, data={"title": "HOA documents", "due_on": TODAY}, actor=personas.agent.user
    )
    assert milestone.owner == personas.agent
    assert milestone.position == 2


def test_reminders_are_sent_once_a_day(personas, deal):
    far = milestone_add(
        deal=deal,
        data={"title": "Far away", "due_on": TODAY + timedelta(days=10)},
        actor=personas.agent.user,
    )
    assert milestone_reminders_send(today=TODAY) == 2
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [personas.agent.user.email]
    assert "Inspection" in message.body and "Appraisal" in message.body
    assert "Far away" not in message.body
    assert milestone_reminders_send(today=TODAY) == 0
    assert len(mail.outbox) == 1
    assert Milestone.objects.get(pk=far.pk).reminded_on is None
    # The next day the still-open ones are due again; the task runs the same service.
    assert milestone_reminders_send(today=TODAY + timedelta(days=1)) == 2


def test_reminder_task_runs_the_service(personas, deal):
    # Today is long after these dates: both are overdue, and sent once.
    assert milestone_reminders_task.delay().get() == 2
    assert milestone_reminders_task.delay().get() == 0


def test_done_milestones_are_not_reminded(personas, deal):
    for milestone in deal.milestones.all():
        milestone_complete(milestone=milestone, actor=personas.agent.user)
    assert milestone_reminders_send(today=TODAY) == 0
    assert mail.outbox == []


def test_agent_day_milestones_are_those_the_user_may_see(personas, deal):
    rows = agent_deal_milestones(user=personas.agent.user, today=TODAY)
    assert [(m.title, m.is_overdue) for m in rows] == [("Inspection", True), ("Appraisal", False)]
    assert agent_deal_milestones(user=personas.colleague.user, today=TODAY) == []
    assert agent_deal_milestones(user=personas.stranger.user, today=TODAY) == []
    assert len(agent_deal_milestones(user=personas.broker.user, today=TODAY)) == 2
