from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "clients"
    verbose_name = "Clients and leads"

    def ready(self):
        from auditlog.registry import auditlog

        from clients import models

        auditlog.register(models.Client, m2m_fields={"co_agents", "tags"})
        for model in (
            models.BuyerPreference,
            models.LeadSource,
            models.RoutingRule,
            models.SavedSearch,
            models.Showing,
            models.Task,
        ):
            auditlog.register(model)
