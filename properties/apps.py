from django.apps import AppConfig


class PropertiesConfig(AppConfig):
    name = "properties"
    verbose_name = "Listings"

    def ready(self):
        from auditlog.registry import auditlog

        from properties.models import CMA, PriceChange, Property, PropertyMedia, StatusChange

        # Derived columns (search text, home key and flag): the address change is logged already.
        auditlog.register(
            Property,
            exclude_fields=[
                "search_document",
                "home_key",
                "home_duplicate",
                "home_listings_count",
                "updated_at",
            ],
        )
        # Variants and processing state are the photo pipeline's, not a person's, changes.
        auditlog.register(
            PropertyMedia, exclude_fields=["variants", "status", "error", "width", "height"]
        )
        auditlog.register(PriceChange)
        auditlog.register(StatusChange)
        # A saved CMA's figures and comparables are written once, by the CMA; who saved it counts.
        auditlog.register(CMA, exclude_fields=["result"])
