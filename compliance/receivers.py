"""Sign-in signals turned into security events."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from compliance.models import SecurityEventKind
from compliance.services.security import security_event_record


def _django_request(request):
    # The token endpoint sends DRF's request; the event wants the HttpRequest under it.
    return getattr(request, "_request", request)


@receiver(user_logged_in, dispatch_uid="compliance.security.login")
def _logged_in(sender, request, user, **kwargs):
    if request is not None:
        security_event_record(kind=SecurityEventKind.LOGIN, request=request, user=user)


@receiver(user_logged_out, dispatch_uid="compliance.security.logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        security_event_record(kind=SecurityEventKind.LOGOUT, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="compliance.security.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    # django.contrib.auth has already masked the password in ``credentials``.
    security_event_record(
        kind=SecurityEventKind.LOGIN_FAILED,
        request=_django_request(request) if request is not None else None,
        username=str(credentials.get("username") or ""),
    )


@receiver(user_locked_out, dispatch_uid="compliance.security.locked_out")
def _locked_out(sender, request, username, ip_address, **kwargs):
    security_event_record(
        kind=SecurityEventKind.LOCKED_OUT,
        request=_django_request(request) if request is not None else None,
        username=str(username or ""),
    )
