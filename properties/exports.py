"""Listings as a CSV file, with the disclaimers their MLS feeds require at the end."""

import csv

from clients.imports import _Line, _safe_cell
from compliance.services.mls import mls_card_disclaimers

# Rows above this are left out of one export: narrow the filters for the rest.
EXPORT_LIMIT = 5000

EXPORT_COLUMNS = (
    ("ID", lambda listing: listing.pk),
    ("MLS number", lambda listing: listing.listing_id),
    ("Address", lambda listing: listing.address_line),
    ("Status", lambda listing: listing.get_standard_status_display()),
    ("Price", lambda listing: listing.list_price),
    ("Bedrooms", lambda listing: listing.bedrooms_total),
    ("Bathrooms", lambda listing: listing.bathrooms_total_integer),
    ("Living area", lambda listing: listing.living_area),
    ("Listing agent", lambda listing: listing.list_agent.name if listing.list_agent else ""),
    ("MLS", lambda listing: listing.mls_provider.name if listing.mls_provider_id else ""),
)


def listings_export_csv(*, listings):
    """The CSV lines of ``listings`` (header first), then each feed's required disclaimer."""
    writer = csv.writer(_Line())
    yield writer.writerow([title for title, _ in EXPORT_COLUMNS])
    for listing in listings:
        yield writer.writerow([_safe_cell(value(listing)) for _, value in EXPORT_COLUMNS])
    for mls in mls_card_disclaimers(listings=listings, exported=True):
        yield writer.writerow([])
        yield writer.writerow([_safe_cell(f"{mls['provider']}: {mls['disclaimer']}")])
