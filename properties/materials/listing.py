"""What every material of a listing reads: which listings get materials, the MLS attribution,
the key facts, and the listing's stored photos."""

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db.models import Q

from properties.materials.brand import stored_image
from properties.models import Property
from realestate.formatting import money
from realestate.permissions import VIEW, restrict

logger = logging.getLogger(__name__)

# The photos a material shows; the hero comes from the large variant, the others from medium.
MORE_PHOTOS = 3


def own_listings_q():
    """The listings the brokerage itself lists, the only ones it may market.

    The same rule as listing edits and the MLS sync use: the brokerage's own entry (no MLS
    feed), or a feed listing whose listing agent is one of the brokerage's agents (the sync
    assigns it; another firm's listing in an IDX feed has none).
    """
    return Q(mls_provider__isnull=True) | Q(list_agent__isnull=False)


def is_own_listing(listing):
    """Whether the brokerage lists ``listing`` itself (``own_listings_q`` for one row)."""
    return listing.mls_provider_id is None or listing.list_agent_id is not None


def materials_listings(*, user):
    """The listings ``user`` may make materials for: seen by them and listed by the brokerage."""
    listings = Property.objects.select_related(
        "brokerage", "list_agent__user", "list_office", "mls_provider"
    )
    return restrict(listings, user, VIEW).filter(own_listings_q())


def listing_attribution(listing):
    """The attribution an MLS requires on advertising: the listing office and agent, and the
    source, e.g. "Listing courtesy of Ann Lee, Downtown Office. Source: Bright MLS"."""
    agent = listing.list_agent.name if listing.list_agent_id else listing.list_agent_mls_id
    if listing.list_office_id:
        office = listing.list_office.name
        if office != listing.brokerage.name:
            office = f"{office}, {listing.brokerage.name}"
    else:
        office = listing.list_office_mls_id or listing.brokerage.name
    courtesy = ", ".join(part for part in (agent, office) if part)
    if listing.mls_provider_id:
        source = listing.mls_provider.name
    else:
        source = listing.originating_system_name or f"{listing.brokerage.name} listing"
    return f"Listing courtesy of {courtesy}. Source: {source}."


def mls_disclaimer(listing):
    """The MLS display rule's disclaimer of a feed listing ("" for none)."""
    if not listing.mls_provider_id:
        return ""
    rule = getattr(listing.mls_provider, "display_rule", None)
    return rule.disclaimer_text(listing.modification_timestamp) if rule else ""


def _number(value):
    return f"{value:,.0f}"


def key_facts(listing):
    """The listing's headline facts as (label, value) pairs, the ones it has."""
    facts = []
    if listing.bedrooms_total is not None:
        facts.append(("Beds", str(listing.bedrooms_total)))
    if listing.bathrooms_total_integer is not None:
        baths = str(listing.bathrooms_total_integer)
        if listing.bathrooms_half:
            baths = f"{listing.bathrooms_full or 0} full, {listing.bathrooms_half} half"
        facts.append(("Baths", baths))
    if listing.living_area:
        facts.append(("Sq ft", _number(listing.living_area)))
    if listing.lot_size_acres:
        facts.append(("Lot", f"{listing.lot_size_acres.normalize():f} acres"))
    elif listing.lot_size_square_feet:
        facts.append(("Lot", f"{_number(listing.lot_size_square_feet)} sq ft"))
    if listing.year_built:
        facts.append(("Built", str(listing.year_built)))
    if listing.garage_spaces:
        facts.append(("Garage", f"{listing.garage_spaces}-car"))
    return facts


def price_text(listing):
    return money(listing.list_price) or ""


def _media_name(media, size):
    """The stored name of a photo's variant (or original); "" for a photo only at the MLS."""
    name = media.variants.get(size, {}).get("jpeg") or media.original.name or ""
    return "" if name.startswith(("http://", "https://")) else name


def listing_photos(listing, *, count=1 + MORE_PHOTOS, box=(1600, 1200)):
    """The listing's first photos as Pillow images, read from storage (never the network):
    the first from its large variant, the rest from their medium one. A photo that cannot be
    read is skipped."""
    photos = []
    for index, media in enumerate(listing.media.all()):
        if len(photos) >= count:
            break
        name = _media_name(media, "large" if index == 0 else "medium")
        if not name:
            continue
        try:
            with default_storage.open(name, "rb") as stored:
                data = stored.read()
            photos.append(stored_image(data, box=box).convert("RGB"))
        except (OSError, ValidationError) as exc:
            logger.warning("Listing %s photo %s could not be read: %s", listing.pk, name, exc)
    return photos


def agent_photo(agent, box=(400, 400)):
    """The agent's stored photo as a Pillow image, or None."""
    if agent is None or not agent.photo:
        return None
    try:
        with agent.photo.open("rb") as stored:
            data = stored.read()
        return stored_image(data, box=box).convert("RGB")
    except (OSError, ValidationError) as exc:
        logger.warning("Agent %s photo could not be read: %s", agent.pk, exc)
        return None


@dataclass(frozen=True)
class Remarks:
    """Public remarks checked for Fair Housing before any material shows them."""

    text: str
    findings: list


def checked_remarks(listing):
    """The public remarks, refused (``ValidationError`` on ``public_remarks`` with one message
    per finding) while they have Fair Housing findings that no broker approved."""
    from compliance.services.fair_housing import fair_housing_publish_check

    findings = fair_housing_publish_check(
        text=listing.public_remarks, brokerage=listing.brokerage_id
    )
    return Remarks(text=listing.public_remarks, findings=findings)
