"""``{% client_privacy client can_change %}``: a client's consent log and privacy actions."""

from django import template

from clients.choices import Channel
from compliance.encryption import mask
from compliance.models.privacy import ConsentStatus
from compliance.services.consent import consent_history
from realestate.permissions import actor_for

register = template.Library()

HISTORY_SHOWN = 20


@register.inclusion_tag("compliance/includes/client_privacy.html", takes_context=True)
def client_privacy(context, client, can_change=False):
    """The consent history (newest first), the form to record consent, export and erase."""
    user = context.get("user")
    records = list(consent_history(client=client)[: HISTORY_SHOWN + 1])
    return {
        "client": client,
        "records": records[:HISTORY_SHOWN],
        "more": len(records) > HISTORY_SHOWN,
        "can_change": can_change and client.anonymised_at is None,
        "is_broker": bool(user and actor_for(user).is_broker),
        # Only those who may change the client learn that an ID is on file, and only masked.
        "government_id": mask(client.government_id) if can_change else "",
        "channels": Channel.choices,
        "statuses": ConsentStatus.choices,
        "csrf_token": context.get("csrf_token"),
    }
