"""Licences for compliance tests, written straight to the table (the broker's form is tested
on its own)."""

from datetime import timedelta

from django.utils import timezone

from compliance.models import Licence


def make_licence(agent, days_left=365, status="active", **fields):
    """A licence of ``agent`` expiring ``days_left`` days from today (negative: expired)."""
    fields.setdefault("number", f"LIC-{agent.pk}-{Licence.objects.count() + 1}")
    fields.setdefault("state", "IL")
    return Licence.objects.create(
        agent=agent,
        expires_on=timezone.localdate() + timedelta(days=days_left),
        status=status,
        **fields,
    )


def lapse(agent):
    """Give ``agent`` a licence that expired yesterday: they may take no new work."""
    return make_licence(agent, days_left=-1)
