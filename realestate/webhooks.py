"""Signing and verifying webhooks by the Standard Webhooks scheme (standardwebhooks.com).

The signed content is ``"{id}.{timestamp}.{body}"``, HMAC-SHA256 with the secret's key, sent as
``webhook-signature: v1,<base64>`` beside ``webhook-id`` and ``webhook-timestamp``. The secret
is ``"whsec_"`` followed by the base64 of the key. Outgoing deliveries and incoming endpoints
both use these functions, so the two sides can never disagree.
"""

import base64
import hashlib
import hmac
import secrets
import time

SECRET_PREFIX = "whsec_"
TOLERANCE_SECONDS = 5 * 60


class SignatureInvalid(Exception):
    """The request's signature headers are missing, stale or do not match its body."""


def secret_generate():
    """A new secret: 24 random bytes in the ``whsec_`` form."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret):
    if secret.startswith(SECRET_PREFIX):
        secret = secret[len(SECRET_PREFIX) :]
    return base64.b64decode(secret)


def sign(*, secret, message_id, timestamp, body):
    """The ``webhook-signature`` value for a message: ``"v1,<base64 HMAC-SHA256>"``."""
    if isinstance(body, bytes):
        body = body.decode()
    content = f"{message_id}.{int(timestamp)}.{body}".encode()
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(*, secret, message_id, body, timestamp=None):
    """The three headers of a signed delivery, timestamped now unless told otherwise."""
    timestamp = int(time.time() if timestamp is None else timestamp)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(
            secret=secret, message_id=message_id, timestamp=timestamp, body=body
        ),
    }


def verify(*, secret, headers, body, now=None):
    """Check a request's signature headers against its body; raise :class:`SignatureInvalid`.

    ``headers`` is any case-insensitive mapping (Django's ``request.headers``). Every ``v1``
    signature in the header is compared in constant time; the timestamp must be within five
    minutes of ``now`` so that a captured request cannot be replayed later.
    """
    message_id = headers.get("webhook-id") or ""
    timestamp = headers.get("webhook-timestamp") or ""
    signatures = headers.get("webhook-signature") or ""
    if not (message_id and timestamp and signatures):
        raise SignatureInvalid(
            "The webhook-id, webhook-timestamp and webhook-signature headers are required."
        )
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise SignatureInvalid("The webhook-timestamp header is not a Unix time.") from None
    now = time.time() if now is None else now
    if abs(now - sent_at) > TOLERANCE_SECONDS:
        raise SignatureInvalid("The webhook-timestamp is more than five minutes from now.")
    expected = sign(secret=secret, message_id=message_id, timestamp=sent_at, body=body)
    matched = False
    for candidate in signatures.split():
        # Compare every candidate so the time taken does not say which one matched.
        matched |= hmac.compare_digest(candidate.encode(), expected.encode())
    if not matched:
        raise SignatureInvalid("The signature does not match the body.")
    return message_id
