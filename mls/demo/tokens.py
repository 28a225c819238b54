"""OAuth2 client-credentials tokens of the demo MLS, signed so that nothing is stored."""

from django.core import signing

DEMO_CLIENT_ID = "demo"
DEMO_CLIENT_SECRET = "demo-secret"
TOKEN_LIFETIME = 3600  # seconds
TOKEN_SALT = "mls.demo.token"


def token_issue(*, feed_name, client_id, client_secret):
    """A bearer token for the feed, or None when the client's credentials are wrong."""
    if client_id != DEMO_CLIENT_ID or client_secret != DEMO_CLIENT_SECRET:
        return None
    return signing.dumps({"feed": feed_name, "client": client_id}, salt=TOKEN_SALT)


def token_is_valid(*, feed_name, token):
    """Whether ``token`` was issued for this feed less than ``TOKEN_LIFETIME`` ago."""
    try:
        payload = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_LIFETIME)
    except signing.BadSignature:
        return False
    return payload.get("feed") == feed_name
