"""Request middleware shared by every app."""

from auditlog.middleware import AuditlogMiddleware as BaseAuditlogMiddleware
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken

from realestate.security import client_ip

LAST_SEEN_KEY = "last_seen"
# The session is written again only once this much time has passed since the last write.
LAST_SEEN_RESOLUTION = 60


class BearerTokenUserMiddleware:
    """Resolve a JWT bearer token to the user before the audit log middleware runs.

    DRF authenticates inside the view, after every middleware, so without this the audit
    trail of a mobile app's change would have no actor. An invalid token is left for DRF
    to reject with its usual 401.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.authenticator = JWTAuthentication()

    def __call__(self, request):
        if request.headers.get("Authorization", "").startswith("Bearer "):
            try:
                authenticated = self.authenticator.authenticate(request)
            except (InvalidToken, AuthenticationFailed):
                authenticated = None
            if authenticated is not None:
                request.user = authenticated[0]
        return self.get_response(request)


@receiver(user_logged_in, dispatch_uid="realestate.session_last_seen")
def _session_started(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None:
        session[LAST_SEEN_KEY] = int(timezone.now().timestamp())


class SessionIdleTimeoutMiddleware:
    """Sign out a browser session left unused for SESSION_IDLE_SECONDS.

    The session cookie itself ends SESSION_COOKIE_AGE after sign-in; this ends it earlier
    when nobody uses it. The last request's time is written at most once a minute.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        last_seen = session.get(LAST_SEEN_KEY) if session is not None else None
        if last_seen is not None:
            now = int(timezone.now().timestamp())
            if now - last_seen > settings.SESSION_IDLE_SECONDS:
                logout(request)
            elif now - last_seen >= LAST_SEEN_RESOLUTION:
                session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class AuditlogMiddleware(BaseAuditlogMiddleware):
    """auditlog's middleware with the client's address found by our proxy rule.

    auditlog's own takes the first X-Forwarded-For entry, which any client can write.
    """

    @staticmethod
    def _get_remote_addr(request):
        return client_ip(request)

    @staticmethod
    def _get_remote_port(request):
        return None


class PermissionsPolicyMiddleware:
    """Turns off browser features the CRM never uses (camera, microphone, location ...)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
