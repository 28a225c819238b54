"""The brokerage's brand kit: what its flyers, reports, social images and signatures wear."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from realestate.permissions import actor_for

BRAND_FIELDS = (
    "brand_logo",
    "brand_primary_color",
    "brand_accent_color",
    "brand_font",
    "brand_disclaimer",
)


@transaction.atomic
def brokerage_brand_update(*, brokerage, data, actor):
    """Change the brand kit of a brokerage; only its broker may. A new logo is checked like
    every image upload (format, size, pixel count: no image bomb); ``brand_logo`` set to
    ``False`` removes the logo."""
    who = actor_for(actor)
    if not (actor.is_superuser or (who.is_broker and who.brokerage_id == brokerage.pk)):
        raise PermissionDenied("Only the broker can change the brand kit.")
    unknown = set(data) - set(BRAND_FIELDS)
    if unknown:
        raise PermissionDenied(f"Not a brand kit field: {', '.join(sorted(unknown))}.")
    old_logo = brokerage.brand_logo.name
    for field, value in data.items():
        if field == "brand_logo":
            if value is False:
                brokerage.brand_logo = ""
            elif value:
                brokerage.brand_logo = value
            continue
        setattr(brokerage, field, value)
    brokerage.full_clean()
    brokerage.save()
    if old_logo and old_logo != brokerage.brand_logo.name:
        storage = brokerage.brand_logo.storage
        # The old file goes once the new row is committed (a rollback keeps it in use).
        transaction.on_commit(lambda: storage.delete(old_logo))
    return brokerage
