"""Request middleware shared by every app."""

from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken


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
