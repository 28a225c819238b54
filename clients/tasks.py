"""Background work of the CRM: lead routing timeouts, listing alerts and showing reminders.

Each task is thin and safe to run twice: the services it calls record what they did.
"""

from smtplib import SMTPException

from celery import shared_task

# A mail server that is down fails the run before anything is claimed; it is tried again.
MAIL_RETRY = {
    "autoretry_for": (OSError, SMTPException),
    "retry_backoff": 60,
    "retry_backoff_max": 30 * 60,
    "max_retries": 8,
}


@shared_task(acks_late=True)
def leads_return_to_pond_task():
    """Leads not claimed within their routing rule's timeout go back to the shared pond."""
    from clients.services.routing import leads_return_to_pond

    return leads_return_to_pond()


@shared_task(acks_late=True, **MAIL_RETRY)
def listing_alerts_match_task():
    """Match the listing history written since the last run against every saved search."""
    from clients.services.alerts import listing_alerts_match, listing_alerts_send

    matched = listing_alerts_match()
    listing_alerts_send(frequency="instant")
    return matched


@shared_task(acks_late=True, **MAIL_RETRY)
def listing_alerts_digest_task(*, frequency):
    """Send the daily or weekly digest of the matches not yet sent."""
    from clients.services.alerts import listing_alerts_send

    return listing_alerts_send(frequency=frequency)


@shared_task(acks_late=True)
def showing_reminders_task():
    """Remind agents and clients of showings that start soon."""
    from clients.services.showings import showing_reminders_send

    return showing_reminders_send()


@shared_task(acks_late=True)
def outreach_run_task():
    """Queue the campaign steps that are due and dispatch the messages that may go now."""
    from clients.services.campaigns import outreach_run

    return outreach_run()


@shared_task(acks_late=True)
def outreach_attempt_send_task(*, attempt_id):
    """Send one recorded outreach message; a second delivery of the task sends nothing."""
    from clients.services.campaigns import outreach_attempt_send

    return outreach_attempt_send(attempt_id=attempt_id)
