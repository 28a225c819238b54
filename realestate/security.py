"""Who is asking and whether they may still try: the client's address and login lockouts."""

from datetime import timedelta

from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Max
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import render

# A lockout never lasts longer than this, however long the attack goes on.
MAX_COOL_OFF = timedelta(days=1)


def client_ip(request):
    """The client's address: X-Forwarded-For is trusted only as far as ``NUM_PROXIES`` reach.

    The rule DRF's throttles apply too (REST_FRAMEWORK's NUM_PROXIES is the same setting), so a
    throttle, a lockout, a signature and an audit entry name the same address; a header the
    client wrote itself is never believed.
    """
    num_proxies = getattr(settings, "NUM_PROXIES", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if num_proxies and forwarded:
        addresses = [address.strip() for address in forwarded.split(",") if address.strip()]
        if addresses:
            return addresses[-min(num_proxies, len(addresses))]
    return request.META.get("REMOTE_ADDR", "")


def _tried_username(request):
    credentials = getattr(request, "axes_credentials", None)
    if credentials:
        return credentials.get("username")
    data = getattr(request, "data", None)  # a DRF request (the token endpoint)
    if data is None or not hasattr(data, "get"):
        data = request.POST
    username = data.get("username")
    return username if isinstance(username, str) else None


def lockout_cool_off(request=None):
    """How long a username + address stays locked: the base time, doubled for each failure
    past the limit (15 min, 30 min, 1 h ... at most a day)."""
    from axes.models import AccessAttempt

    base = timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    if request is None:
        return base
    username = _tried_username(request)
    failures = (
        AccessAttempt.objects.filter(username=username, ip_address=client_ip(request)).aggregate(
            most=Max("failures_since_start")
        )["most"]
        or 0
    )
    extra = max(0, failures - settings.AXES_FAILURE_LIMIT)
    return min(base * 2 ** min(extra, 16), MAX_COOL_OFF)


def lockout_response(request, original_response=None, credentials=None):
    """The answer to a locked-out login: a page for a person, JSON for the API; both 429
    with Retry-After."""
    cool_off = lockout_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60))
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": f"Too many failed sign-in attempts. Try again in {minutes} minutes."},
            status=429,
        )
    else:
        response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response


@receiver(user_locked_out, dispatch_uid="realestate.security.locked_out_behind_drf")
def _locked_out_behind_drf(sender, request, **kwargs):
    """Pass axes' lockout flag from DRF's request (the token endpoint) to the request under it,
    the one axes' middleware looks at."""
    django_request = getattr(request, "_request", None)
    if django_request is not None:
        django_request.axes_locked_out = True
        django_request.axes_credentials = getattr(request, "axes_credentials", None)
