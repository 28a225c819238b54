from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = "Brokerage and agents"

    def ready(self):
        from auditlog.registry import auditlog

        from agents.models import Agent, Brokerage, Office, Team

        for model in (Brokerage, Office, Team, Agent):
            auditlog.register(model)

        post_migrate.connect(_sync_role_groups, dispatch_uid="agents.role_groups")


def _sync_role_groups(**kwargs):
    from agents.services import role_groups_sync

    role_groups_sync()
