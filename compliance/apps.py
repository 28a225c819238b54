from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance"

    def ready(self):
        from auditlog.registry import auditlog

        from compliance import checks  # noqa: F401 - registers the system checks
        from compliance.models import DoNotContactEntry, PayoutAccount, RetentionPolicy

        for model in (DoNotContactEntry, RetentionPolicy):
            auditlog.register(model)
        # Bank numbers are encrypted at rest; their history is not kept in plaintext either.
        auditlog.register(PayoutAccount, exclude_fields=["account_number", "routing_number"])
