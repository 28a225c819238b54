from django.apps import AppConfig


class TransactionsConfig(AppConfig):
    name = "transactions"
    verbose_name = "Deals and commissions"

    def ready(self):
        from auditlog.registry import auditlog

        from transactions import models

        auditlog.register(models.Transaction, m2m_fields={"co_agents"})
        for model in (
            models.Party,
            models.CommissionShare,
            models.Milestone,
            models.ChecklistTemplate,
            models.ChecklistItem,
            models.Document,
            models.SigningRequest,
            models.CommissionPlan,
            models.PlanAssignment,
            models.CommissionStatement,
            models.Payout,
        ):
            auditlog.register(model)
        auditlog.register(models.Signer, exclude_fields=["token_digest"])
