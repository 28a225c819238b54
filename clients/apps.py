from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ClientsConfig(AppConfig):
    name = "clients"
    verbose_name = "Clients and leads"

    def ready(self):
        from auditlog.registry import auditlog

        from clients import models, receivers  # noqa: F401 - connects the listing events

        # The government ID is encrypted at rest; its history is not kept in plaintext either.
        auditlog.register(
            models.Client, m2m_fields={"co_agents", "tags"}, exclude_fields=["government_id"]
        )
        for model in (
            models.BuyerPreference,
            models.Campaign,
            models.CampaignStep,
            models.ClientSegment,
            models.MessageTemplate,
            models.OutreachSettings,
            models.Suppression,
            models.LeadSource,
            models.RoutingRule,
            models.Showing,
            models.Tag,
            models.Task,
        ):
            auditlog.register(model)
        auditlog.register(models.IntakeKey, exclude_fields=["digest"])
        # The unsubscribe link's token is a secret of the client's mailbox.
        auditlog.register(models.SavedSearch, exclude_fields=["unsubscribe_token"])
        # Made and revoked, never the address itself: its token is the agent's secret.
        auditlog.register(models.CalendarFeed, exclude_fields=["token"])

        post_migrate.connect(_periodic_jobs, sender=self, dispatch_uid="clients.periodic_jobs")


def _periodic_jobs(**kwargs):
    from clients.services.schedules import periodic_jobs_ensure

    periodic_jobs_ensure()
