"""What the brokerage app does with committed domain events (outgoing webhook deliveries,
notifications), with new listing alert matches (notifications), and with changes to who a
user is as the permission rules see them (the cached agent profile and role)."""

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from agents.models import Agent, Brokerage
from agents.selectors import actor_cache_key
from agents.services.events import event_committed
from clients.signals import listing_alerts_matched

User = get_user_model()

logger = logging.getLogger(__name__)


@receiver(event_committed, dispatch_uid="agents.webhooks.deliveries")
def webhook_deliveries_for_event(sender, event, **kwargs):
    """Each committed event becomes one delivery per subscription that wants it."""
    from agents.services.webhooks import webhook_deliveries_create

    webhook_deliveries_create(event=event)


@receiver(event_committed, dispatch_uid="agents.notifications.event_committed")
def notifications_for_event(sender, event, **kwargs):
    """The people an event concerns hear of it in their notifications."""
    from agents.services.notifications import event_notify

    # A failure here must not keep the webhooks and the other receivers from the event: it is
    # logged, and the event stays in the log to notify again.
    try:
        event_notify(event=event)
    except Exception:
        logger.exception("notifications of event %s (%s) not written", event.pk, event.name)


@receiver(listing_alerts_matched, dispatch_uid="agents.notifications.listing_alerts_matched")
def notifications_for_buyer_matches(sender, after_id, **kwargs):
    """Agents hear of the listings their buyers' saved searches matched."""
    from agents.services.notifications import buyer_match_alerts_create

    # The clients' alert emails go out whatever happens here: a failure is logged, not raised.
    try:
        buyer_match_alerts_create(after_id=after_id)
    except Exception:
        logger.exception("buyer match notifications after alert %s not written", after_id)


# --- The cached agent profile and role (agents.selectors.agent_role_for_user) -----------------


def _forget_actors(user_ids, using):
    """Drop the users' cached profile and role now, and again once the change commits: a
    request that read the old rows in between may have cached them again."""
    keys = [actor_cache_key(user_id) for user_id in user_ids if user_id is not None]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys), using=using)


@receiver(post_save, sender=Agent, dispatch_uid="agents.actor.agent_saved")
@receiver(post_delete, sender=Agent, dispatch_uid="agents.actor.agent_deleted")
def actor_forget_agent(sender, instance, using, **kwargs):
    _forget_actors([instance.user_id], using)


@receiver(post_save, sender=User, dispatch_uid="agents.actor.user_saved")
@receiver(post_delete, sender=User, dispatch_uid="agents.actor.user_deleted")
def actor_forget_user(sender, instance, using, **kwargs):
    _forget_actors([instance.pk], using)


@receiver(post_save, sender=Brokerage, dispatch_uid="agents.actor.brokerage_saved")
def actor_forget_brokerage(sender, instance, using, created, **kwargs):
    if not created:
        members = Agent.objects.using(using).filter(brokerage=instance)
        _forget_actors(members.values_list("user_id", flat=True), using)


@receiver(post_save, sender=Group, dispatch_uid="agents.actor.group_saved")
@receiver(pre_delete, sender=Group, dispatch_uid="agents.actor.group_deleted")
def actor_forget_group(sender, instance, using, **kwargs):
    # A role is a group's name: renaming or deleting one changes its members' roles.
    _forget_actors(instance.user_set.using(using).values_list("pk", flat=True), using)


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="agents.actor.memberships")
def actor_forget_memberships(sender, instance, action, reverse, pk_set, using, **kwargs):
    if not reverse:  # user.groups changed
        if action in ("post_add", "post_remove", "post_clear"):
            _forget_actors([instance.pk], using)
    elif action == "pre_clear":  # group.user_set.clear(): who the members were
        instance._actor_members = list(instance.user_set.using(using).values_list("pk", flat=True))
    elif action == "post_clear":
        _forget_actors(instance.__dict__.pop("_actor_members", ()), using)
    elif action in ("post_add", "post_remove"):
        _forget_actors(pk_set, using)
