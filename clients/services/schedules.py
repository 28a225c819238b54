"""The product's fixed periodic jobs (clients, showings, deals, compliance, webhooks,
notifications), kept in django-celery-beat's schedule."""

import json

from django.conf import settings

# name: (task, kwargs, {"every": minutes} or {"crontab": (minute, hour, day_of_week)})
PERIODIC_JOBS = {
    "Leads: return unclaimed leads to the pond": (
        "clients.tasks.leads_return_to_pond_task",
        {},
        {"every": 5},
    ),
    "Listing alerts: match and send instant alerts": (
        "clients.tasks.listing_alerts_match_task",
        {},
        {"every": 5},
    ),
    "Listing alerts: daily digest": (
        "clients.tasks.listing_alerts_digest_task",
        {"frequency": "daily"},
        {"crontab": ("0", "7", "*")},
    ),
    "Listing alerts: weekly digest": (
        "clients.tasks.listing_alerts_digest_task",
        {"frequency": "weekly"},
        {"crontab": ("0", "7", "1")},
    ),
    "Outreach: send due campaign steps": ("clients.tasks.outreach_run_task", {}, {"every": 1}),
    "Showings: reminders": ("clients.tasks.showing_reminders_task", {}, {"every": 5}),
    "Notifications: email agents their alerts": (
        "agents.tasks.notifications_email_task",
        {},
        {"every": 5},
    ),
    "Deals: milestone reminders": (
        "transactions.tasks.milestone_reminders_task",
        {},
        {"crontab": ("0", "7", "*")},
    ),
    "Deals: reminders to signers": (
        "transactions.tasks.signing_reminders_task",
        {},
        {"crontab": ("0", "9", "*")},
    ),
    "Licences: mark expired and send expiry alerts": (
        "compliance.tasks.licences_expiry_check_task",
        {},
        {"crontab": ("30", "6", "*")},
    ),
    "Fair Housing: nightly scan of MLS listings": (
        "compliance.tasks.fair_housing_nightly_scan_task",
        {},
        {"crontab": ("30", "2", "*")},
    ),
    "Webhooks: send the deliveries due for a retry": (
        "agents.tasks.webhook_deliveries_due_task",
        {},
        {"every": 1},
    ),
    "Privacy: anonymise closed-out clients past the retention period": (
        "compliance.tasks.retention_runs_task",
        {},
        {"crontab": ("30", "3", "*")},
    ),
}


def periodic_jobs_ensure():
    """Create or correct the CRM's periodic jobs; a broker's enabled/disabled choice is kept."""
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    for name, (task_name, kwargs, when) in PERIODIC_JOBS.items():
        task = PeriodicTask.objects.filter(name=name).first() or PeriodicTask(name=name)
        if "every" in when:
            task.interval, _ = IntervalSchedule.objects.get_or_create(
                every=when["every"], period=IntervalSchedule.MINUTES
            )
            task.crontab = None
        else:
            minute, hour, day_of_week = when["crontab"]
            task.crontab, _ = CrontabSchedule.objects.get_or_create(
                minute=minute,
                hour=hour,
                day_of_week=day_of_week,
                day_of_month="*",
                month_of_year="*",
                timezone=settings.TIME_ZONE,
            )
            task.interval = None
        task.task = task_name
        task.kwargs = json.dumps(kwargs)
        task.save()
