from django.apps import AppConfig


class MlsConfig(AppConfig):
    name = "mls"
    verbose_name = "MLS feeds"

    def ready(self):
        from auditlog.registry import auditlog

        from mls.models import MLSProvider

        # Secrets never reach the audit log.
        auditlog.register(
            MLSProvider,
            exclude_fields=["lease_owner", "lease_until", "high_water_mark", "updated_at"],
            mask_fields=["client_secret", "bearer_token", "password"],
        )
