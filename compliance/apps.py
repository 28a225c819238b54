from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance"

    def ready(self):
        from auditlog.registry import auditlog

        from compliance.models import Licence, MLSDisplayRule

        # The access log and the alerts are records themselves; their rows are never edited.
        auditlog.register(Licence)
        auditlog.register(MLSDisplayRule)
