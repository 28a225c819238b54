import json

import pytest
from django_celery_beat.models import PeriodicTask

from clients.services.schedules import PERIODIC_JOBS, periodic_jobs_ensure
from realestate.celery import app

pytestmark = pytest.mark.django_db


def test_migrate_schedules_every_crm_job_with_a_registered_task():
    scheduled = {task.name: task for task in PeriodicTask.objects.filter(name__in=PERIODIC_JOBS)}
    assert set(scheduled) == set(PERIODIC_JOBS)
    app.loader.import_default_modules()
    for task in scheduled.values():
        assert task.task in app.tasks, task.task


def test_schedule_is_corrected_and_a_disabled_job_stays_disabled():
    name = "Listing alerts: daily digest"
    task = PeriodicTask.objects.get(name=name)
    task.enabled = False
    task.kwargs = json.dumps({"frequency": "weekly"})
    task.save()
    periodic_jobs_ensure()
    task.refresh_from_db()
    assert json.loads(task.kwargs) == {"frequency": "daily"}
    assert task.enabled is False
    assert task.crontab.hour == "7"
    assert PeriodicTask.objects.filter(name=name).count() == 1
