"""Background work of deals: milestone reminders.

Each task is thin and safe to run twice: the service claims each reminder before sending it.
"""

from smtplib import SMTPException

from celery import shared_task

# A mail server that is down fails the run; the claims are given back and it is tried again.
MAIL_RETRY = {
    "autoretry_for": (OSError, SMTPException),
    "retry_backoff": 60,
    "retry_backoff_max": 30 * 60,
    "max_retries": 8,
}


@shared_task(acks_late=True, **MAIL_RETRY)
def milestone_reminders_task():
    """Email agents their deal milestones that are overdue or due within three days."""
    from transactions.services.deals import milestone_reminders_send

    return milestone_reminders_send()
