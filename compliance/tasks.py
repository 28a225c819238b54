"""Background work of compliance: licence expiry, MLS export alerts, the Fair Housing scan and
data retention.

Each task is thin and safe to run twice: the services record each alert before it counts.
"""

from smtplib import SMTPException

from celery import shared_task

# A mail server that is down fails the run; the unsent alert is not recorded and is retried.
MAIL_RETRY = {
    "autoretry_for": (OSError, SMTPException),
    "retry_backoff": 60,
    "retry_backoff_max": 30 * 60,
    "max_retries": 8,
}


@shared_task(acks_late=True, **MAIL_RETRY)
def licences_expiry_check_task():
    """Mark lapsed licences expired, then send the 90/60/30-day expiry alerts."""
    from compliance.services.licences import licence_expiry_alerts_send, licences_expire

    return {"expired": licences_expire(), "alerts": licence_expiry_alerts_send()}


@shared_task(acks_late=True, **MAIL_RETRY)
def listing_export_alert_task(*, access_id):
    """Email the brokers if the export just logged takes the agent over the feed's limit."""
    from compliance.services.mls import listing_export_alert_check

    return listing_export_alert_check(access_id=access_id)


@shared_task(acks_late=True)
def fair_housing_nightly_scan_task():
    """Scan every MLS-synced listing's public remarks and store each brokerage's report."""
    from compliance.services.fair_housing import fair_housing_nightly_scan

    runs = fair_housing_nightly_scan()
    return None if runs is None else [run.pk for run in runs]


@shared_task(acks_late=True)
def retention_runs_task():
    """Anonymise closed-out clients of the brokerages that enabled data retention."""
    from compliance.services.retention import retention_runs_scheduled

    runs = retention_runs_scheduled()
    return None if runs is None else [run.pk for run in runs]
