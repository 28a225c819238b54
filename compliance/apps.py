from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance"

    def ready(self):
        from auditlog.registry import auditlog

        from compliance.models import (
            FairHousingOverride,
            FairHousingRule,
            Licence,
            MLSDisplayRule,
        )

        # The access log, the alerts and the scan reports are records themselves; their rows
        # are never edited.
        auditlog.register(Licence)
        auditlog.register(MLSDisplayRule)
        auditlog.register(FairHousingRule)
        auditlog.register(FairHousingOverride)

        post_migrate.connect(
            _fair_housing_rules, sender=self, dispatch_uid="compliance.fair_housing_rules"
        )


def _fair_housing_rules(**kwargs):
    from compliance.services.fair_housing import fair_housing_rules_ensure

    fair_housing_rules_ensure()
