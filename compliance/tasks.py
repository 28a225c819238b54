"""Background work of compliance; each task is thin and safe to run twice."""

from celery import shared_task


@shared_task(acks_late=True)
def retention_runs_task():
    """Anonymise closed-out clients of the brokerages that enabled data retention."""
    from compliance.services.retention import retention_runs_scheduled

    runs = retention_runs_scheduled()
    return None if runs is None else [run.pk for run in runs]
