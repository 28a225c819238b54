from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance"

    def ready(self):
        from auditlog.registry import auditlog

        # Security events from the sign-in signals; the session clock starts at sign-in.
        from compliance import (
            checks,  # noqa: F401 - registers the system checks
            receivers,  # noqa: F401
        )
        from compliance.models import (
            DoNotContactEntry,
            FairHousingOverride,
            FairHousingRule,
            Licence,
            MLSDisplayRule,
            PayoutAccount,
            RetentionPolicy,
        )
        from realestate import middleware  # noqa: F401

        # The access log, the alerts, the consent log and the scan reports are records
        # themselves; their rows are never edited.
        for model in (
            Licence,
            MLSDisplayRule,
            FairHousingRule,
            FairHousingOverride,
            DoNotContactEntry,
            RetentionPolicy,
        ):
            auditlog.register(model)
        # Bank numbers are encrypted at rest; their history is not kept in plaintext either.
        auditlog.register(PayoutAccount, exclude_fields=["account_number", "routing_number"])

        post_migrate.connect(
            _fair_housing_rules, sender=self, dispatch_uid="compliance.fair_housing_rules"
        )


def _fair_housing_rules(**kwargs):
    from compliance.services.fair_housing import fair_housing_rules_ensure

    fair_housing_rules_ensure()
