from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance"

    def ready(self):
        # Security events from the sign-in signals; the session clock starts at sign-in.
        from compliance import receivers  # noqa: F401
        from realestate import middleware  # noqa: F401
