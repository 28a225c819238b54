from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = "Brokerage and agents"

    def ready(self):
        from auditlog.registry import auditlog

        from agents import receivers  # noqa: F401 - connects webhooks and notifications to events
        from agents.models import (
            Agent,
            Brokerage,
            IncomingWebhook,
            Office,
            Team,
            WebhookSubscription,
        )

        for model in (Brokerage, Office, Team, Agent):
            auditlog.register(model)
        for model in (WebhookSubscription, IncomingWebhook):
            auditlog.register(model, exclude_fields=["secret"])

        post_migrate.connect(_sync_role_groups, dispatch_uid="agents.role_groups")

        # Every app reads through these connections; this one, the foundation, sets them up
        # (and registers the ``__any`` lookup with them).
        from realestate.database import timestamps_read_compiled

        connection_created.connect(timestamps_read_compiled, dispatch_uid="realestate.timestamps")


def _sync_role_groups(**kwargs):
    from agents.services.people import role_groups_sync

    role_groups_sync()
