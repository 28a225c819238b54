"""Background work of compliance. Each task is thin and safe to run twice."""

from celery import shared_task


@shared_task(acks_late=True)
def fair_housing_nightly_scan_task():
    """Scan every MLS-synced listing's public remarks and store each brokerage's report."""
    from compliance.services.fair_housing import fair_housing_nightly_scan

    runs = fair_housing_nightly_scan()
    return None if runs is None else [run.pk for run in runs]
