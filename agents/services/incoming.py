"""Requests other systems send us (delivery events, leads), checked before anything is read."""

import logging

from agents.models import IncomingWebhook, IncomingWebhookLog
from realestate.webhooks import SignatureInvalid, secret_generate, verify

logger = logging.getLogger(__name__)

BODY_EXCERPT = 1000


def incoming_webhook_create(*, brokerage, name, kind, lead_source=None):
    """A new endpoint with a fresh secret; the caller shows the secret once."""
    webhook = IncomingWebhook(
        brokerage=brokerage, name=name, kind=kind, lead_source=lead_source, secret=secret_generate()
    )
    webhook.full_clean()
    webhook.save()
    return webhook


def incoming_webhook_log(
    *, webhook, status_code, verified, body=b"", message_id="", error="", remote_addr=None
):
    """Record one request to an endpoint with what came of it."""
    return IncomingWebhookLog.objects.create(
        webhook=webhook,
        status_code=status_code,
        verified=verified,
        message_id=message_id[:100],
        error=error[:500],
        remote_addr=remote_addr,
        body_excerpt=body[:BODY_EXCERPT].decode("utf-8", "replace"),
    )


def incoming_webhook_verify(*, token, kind, headers, body, remote_addr=None, now=None):
    """The active endpoint ``token`` names, once the request's signature holds.

    Returns ``(webhook, message_id)``. An unknown or disabled token raises
    ``IncomingWebhook.DoesNotExist`` (answer 404); a bad signature is logged against the
    endpoint and raises :class:`SignatureInvalid` (answer 401).
    """
    webhook = IncomingWebhook.objects.select_related("brokerage").get(
        token=token, kind=kind, is_active=True
    )
    try:
        message_id = verify(secret=webhook.secret, headers=headers, body=body, now=now)
    except SignatureInvalid as error:
        logger.warning("incoming webhook %s refused: %s", webhook.pk, error)
        incoming_webhook_log(
            webhook=webhook,
            status_code=401,
            verified=False,
            body=body,
            message_id=headers.get("webhook-id") or "",
            error=str(error),
            remote_addr=remote_addr,
        )
        raise
    return webhook, message_id
