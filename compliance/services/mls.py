"""MLS display rules on pages and exports, the log of MLS data access, and its export alerts."""

from datetime import timedelta

from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import timezone

from agents.choices import EventName
from agents.services.events import event_record
from compliance.models.mls import (
    EXPORT_WINDOW_HOURS,
    AccessKind,
    ExportAlert,
    ListingAccess,
    MLSDisplayRule,
)
from compliance.services.licences import broker_emails
from realestate.permissions import actor_for

# How long one export alert check holds its lock: two exports at once never both alert.
ALERT_LOCK_SECONDS = 60


def _is_mls(listing):
    return listing.mls_provider_id is not None


def mls_attribution(*, listing, rule):
    """What the MLS rule asks to be shown with a listing: disclaimer, office, agent, logo."""
    office = listing.list_office.name if listing.list_office_id else listing.list_office_mls_id
    agent = listing.list_agent.name if listing.list_agent_id else listing.list_agent_mls_id
    return {
        "provider": rule.provider.name,
        "disclaimer": rule.disclaimer_text(listing.modification_timestamp),
        "listing_office": office if rule.show_listing_office else "",
        "listing_agent": agent if rule.show_listing_agent else "",
        "logo_url": rule.logo_url,
    }


def listing_mls_attribution(*, listing):
    """The MLS display rule's text for one listing; None for a local listing or no rule."""
    if not _is_mls(listing):
        return None
    rule = (
        MLSDisplayRule.objects.select_related("provider")
        .filter(provider_id=listing.mls_provider_id)
        .first()
    )
    return mls_attribution(listing=listing, rule=rule) if rule else None


def mls_card_disclaimers(*, listings, exported=False):
    """The disclaimers to show under a list of listing cards, one per feed whose rule asks
    (every feed's, for an ``exported`` file), in the order the feeds first appear.

    One query reads the rules of the listings' feeds; none is made when no listing comes
    from a feed.
    """
    provider_ids = list(
        dict.fromkeys(listing.mls_provider_id for listing in listings if _is_mls(listing))
    )
    if not provider_ids:
        return []
    rules = MLSDisplayRule.objects.select_related("provider").filter(provider_id__in=provider_ids)
    if not exported:
        rules = rules.filter(show_on_cards=True)
    by_provider = {rule.provider_id: rule for rule in rules}
    return [
        {
            "provider": rule.provider.name,
            "disclaimer": rule.disclaimer_text(rule.provider.high_water_mark),
            "logo_url": rule.logo_url,
        }
        for rule in (by_provider.get(provider_id) for provider_id in provider_ids)
        if rule is not None
    ]


def listing_access_record(*, user, listing, kind=AccessKind.VIEW):
    """Log that a person opened an MLS listing (page or API): one INSERT, nothing read."""
    if not _is_mls(listing) or not user.is_authenticated:
        return None
    return ListingAccess.objects.create(
        brokerage_id=listing.brokerage_id,
        user=user,
        agent=actor_for(user).agent,
        provider_id=listing.mls_provider_id,
        listing_id=listing.pk,
        kind=kind,
        count=1,
        accessed_at=timezone.now(),
    )


@transaction.atomic
def listings_export_record(*, user, listings):
    """Log an export of listings: one row per MLS feed with the ids it held, then check
    (after commit, in the background) whether the agent went over the feed's limit."""
    by_provider = {}
    for listing in listings:
        if _is_mls(listing):
            key = (listing.brokerage_id, listing.mls_provider_id)
            by_provider.setdefault(key, []).append(listing.pk)
    if not by_provider:
        return []
    now = timezone.now()
    agent = actor_for(user).agent
    rows = ListingAccess.objects.bulk_create(
        ListingAccess(
            brokerage_id=brokerage_id,
            user=user,
            agent=agent,
            provider_id=provider_id,
            kind=AccessKind.EXPORT,
            listing_ids=ids,
            count=len(ids),
            accessed_at=now,
        )
        for (brokerage_id, provider_id), ids in by_provider.items()
    )
    if agent is not None:
        from compliance.tasks import listing_export_alert_task

        for row in rows:
            transaction.on_commit(lambda pk=row.pk: listing_export_alert_task.delay(access_id=pk))
    return rows


def listing_export_alert_check(*, access_id):
    """Email the brokers once per window when an agent's exports of a feed pass its limit.

    Returns the alert sent, or None. The alert row and the mail go in one transaction: a
    failed mail leaves no row, so the retried task sends it.
    """
    access = (
        ListingAccess.objects.select_related("agent__user", "provider__display_rule")
        .filter(pk=access_id, kind=AccessKind.EXPORT, agent__isnull=False)
        .first()
    )
    if access is None or access.provider is None:
        return None
    rule = getattr(access.provider, "display_rule", None)
    if rule is None or rule.export_alert_threshold is None:
        return None
    since = access.accessed_at - timedelta(hours=EXPORT_WINDOW_HOURS)
    lock = f"compliance:export-alert:{access.agent_id}:{access.provider_id}"
    if not cache.add(lock, access_id, ALERT_LOCK_SECONDS):
        return None  # another check for this agent and feed is running; it sees this export
    try:
        exported = (
            ListingAccess.objects.filter(
                agent_id=access.agent_id,
                provider_id=access.provider_id,
                kind=AccessKind.EXPORT,
                accessed_at__gt=since,
                accessed_at__lte=access.accessed_at,
            ).aggregate(total=Sum("count"))["total"]
            or 0
        )
        if exported <= rule.export_alert_threshold:
            return None
        already = ExportAlert.objects.filter(
            agent_id=access.agent_id, provider_id=access.provider_id, sent_at__gt=since
        ).exists()
        if already:
            return None
        with transaction.atomic():
            alert = ExportAlert.objects.create(
                brokerage_id=access.brokerage_id,
                agent=access.agent,
                provider=access.provider,
                exported=exported,
                threshold=rule.export_alert_threshold,
                sent_at=timezone.now(),
            )
            event_record(
                brokerage=access.brokerage_id,
                name=EventName.COMPLIANCE_VIOLATION,
                subject=alert,
                payload={
                    "kind": "mls_export_limit",
                    "alert_id": alert.pk,
                    "agent_id": access.agent_id,
                    "agent": access.agent.name,
                    "provider_id": access.provider_id,
                    "provider": access.provider.name,
                    "exported": exported,
                    "threshold": rule.export_alert_threshold,
                },
                actor=access.agent.user,
            )
            recipients = broker_emails(brokerage_id=access.brokerage_id)
            if recipients:
                _export_alert_email(alert, recipients).send()
        return alert
    finally:
        cache.delete(lock)


def _export_alert_email(alert, recipients):
    context = {"alert": alert, "window_hours": EXPORT_WINDOW_HOURS}
    return EmailMessage(
        subject=(
            f"{alert.agent.name} exported {alert.exported} {alert.provider.name} listings "
            f"in {EXPORT_WINDOW_HOURS} hours"
        ),
        body=render_to_string("compliance/emails/export_alert.txt", context),
        to=recipients,
    )
