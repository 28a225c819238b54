"""A listing of brokerage A with photos, a branded brokerage and an agent with a photo."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from agents.services.brand import brokerage_brand_update
from properties.services import media_add
from tests.testing.factories import image_bytes, make_listing

BRAND_PRIMARY = "#c0392b"
BRAND_ACCENT = "#f4d03f"


def photo_upload(name="photo.jpg", color=(40, 120, 200), size=(1200, 900)):
    return SimpleUploadedFile(name, image_bytes(size=size, color=color), "image/jpeg")


def logo_upload(color=(20, 160, 60)):
    return SimpleUploadedFile("logo.png", image_bytes("PNG", size=(300, 300), color=color))


def brand_brokerage(personas, *, logo=True, **fields):
    """Give brokerage A a brand kit through the brand service, as its broker."""
    data = {
        "brand_primary_color": BRAND_PRIMARY,
        "brand_accent_color": BRAND_ACCENT,
        "brand_font": "Times-Roman",
        "brand_disclaimer": "Maple Realty is licensed in Illinois. Information deemed reliable.",
        **fields,
    }
    if logo:
        data["brand_logo"] = logo_upload()
    return brokerage_brand_update(
        brokerage=personas.brokerage, data=data, actor=personas.broker.user
    )


def make_marketed_listing(personas, photos=4, **fields):
    """A listing of the agent with ``photos`` processed photos (variants stored)."""
    fields.setdefault("year_built", 1998)
    fields.setdefault("lot_size_square_feet", 7200)
    fields.setdefault("garage_spaces", 2)
    fields.setdefault("pool_private_yn", True)
    listing = make_listing(personas.agent.user, **fields)
    colors = [(40, 120, 200), (200, 120, 40), (60, 160, 90), (150, 60, 160), (90, 90, 90)]
    with TestCase.captureOnCommitCallbacks(execute=True):
        for index in range(photos):
            media_add(
                listing=listing,
                upload=photo_upload(f"p{index}.jpg", colors[index % len(colors)]),
                actor=personas.agent.user,
            )
    listing.refresh_from_db()
    return listing
