"""Background work of deals: milestone and signing reminders, signed copies to signers.

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


@shared_task(acks_late=True, **MAIL_RETRY)
def signing_reminders_task():
    """Send new links to signers who have not signed within a few days."""
    from transactions.services.signing import signing_reminders_send

    return signing_reminders_send()


@shared_task(acks_late=True, **MAIL_RETRY)
def signed_copies_send_task(*, signing_request_id):
    """Email every signer of a completed request the signed document and its certificate."""
    from transactions.models import SigningRequest
    from transactions.services.signing import signed_copies_send

    request = SigningRequest.objects.select_related("document__transaction")
    request = request.filter(pk=signing_request_id)
    request = request.first()
    return 0 if request is None else signed_copies_send(request=request)
