from django.apps import AppConfig


class PropertiesConfig(AppConfig):
    name = "properties"
    verbose_name = "Listings"

    def ready(self):
        from auditlog.registry import auditlog

        from properties.models import PriceChange, Property, PropertyMedia, StatusChange

        auditlog.register(Property, exclude_fields=["search_document", "updated_at"])
        # Variants and processing state are the photo pipeline's, not a person's, changes.
        auditlog.register(
            PropertyMedia, exclude_fields=["variants", "status", "error", "width", "height"]
        )
        auditlog.register(PriceChange)
        auditlog.register(StatusChange)
