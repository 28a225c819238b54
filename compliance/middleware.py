"""Every refused request (403) becomes a security event, whichever layer refused it."""

from compliance.models import SecurityEventKind
from compliance.services.security import security_event_record


class PermissionDeniedEventMiddleware:
    """Records a permission-denied event for every 403 answer: Django's PermissionDenied,
    DRF's refusals and CSRF failures all end here as a 403 response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 403:
            user = getattr(request, "user", None)
            security_event_record(
                kind=SecurityEventKind.PERMISSION_DENIED, request=request, user=user
            )
        return response
