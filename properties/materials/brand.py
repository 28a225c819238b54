"""The brokerage's brand kit as every material reads it: colours, fonts, logo and disclaimer.

The one place that turns a Brokerage's brand fields into what reportlab and Pillow draw with;
the CMA report, flyers, sign-in sheets, social images and signatures all come through here.
"""

import io
import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from PIL import Image

from agents.choices import BrandFont
from properties import images

logger = logging.getLogger(__name__)

DEFAULT_PRIMARY = "#1d5fa8"
DEFAULT_ACCENT = "#e6effa"
# The PDF base fonts and their bold faces (every PDF reader has them).
BOLD_FONTS = {
    BrandFont.HELVETICA: "Helvetica-Bold",
    BrandFont.TIMES: "Times-Bold",
    BrandFont.COURIER: "Courier-Bold",
}
CSS_FONTS = {
    BrandFont.HELVETICA: "Helvetica,Arial,sans-serif",
    BrandFont.TIMES: "'Times New Roman',Times,serif",
    BrandFont.COURIER: "'Courier New',Courier,monospace",
}
# A logo is drawn small: a bigger one is shrunk once, here, not by every material.
LOGO_MAX_SIDE = 600


def hex_to_rgb(value, default=DEFAULT_PRIMARY):
    """``"#1d5fa8"`` → ``(29, 95, 168)``; a malformed value gives the default colour."""
    text = (value or "").strip().lstrip("#")
    if len(text) != 6:
        text = default.lstrip("#")
    try:
        return tuple(int(text[i : i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        return hex_to_rgb(default)


def readable_on(rgb):
    """White or near-black text, whichever reads better on a background of ``rgb``."""
    red, green, blue = (channel / 255 for channel in rgb)
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return (255, 255, 255) if luminance < 0.6 else (26, 32, 44)


@dataclass(frozen=True)
class Brand:
    """A brokerage's brand kit, resolved: what a material is dressed in."""

    name: str
    phone: str = ""
    email: str = ""
    website: str = ""
    primary: str = DEFAULT_PRIMARY
    accent: str = DEFAULT_ACCENT
    font: str = BrandFont.HELVETICA
    disclaimer: str = ""
    # The logo as a PNG (RGBA), or None: the drawn house mark stands in for it.
    logo_png: bytes | None = field(default=None, repr=False)

    @property
    def primary_rgb(self):
        return hex_to_rgb(self.primary, DEFAULT_PRIMARY)

    @property
    def accent_rgb(self):
        return hex_to_rgb(self.accent, DEFAULT_ACCENT)

    @property
    def accent_soft_rgb(self):
        """The accent colour lightened for table rows, so text and handwriting stay readable."""
        return tuple(round(channel + (255 - channel) * 0.6) for channel in self.accent_rgb)

    @property
    def on_primary_rgb(self):
        """The text colour on the primary colour."""
        return readable_on(self.primary_rgb)

    @property
    def on_accent_rgb(self):
        return readable_on(self.accent_rgb)

    @property
    def primary_hex(self):
        """The primary colour as #rrggbb, always well formed (safe in a style attribute)."""
        return "#{:02x}{:02x}{:02x}".format(*self.primary_rgb)

    @property
    def css_font(self):
        """The font as the CSS font stack email clients and pages have."""
        return CSS_FONTS.get(self.font, CSS_FONTS[BrandFont.HELVETICA])

    @property
    def font_bold(self):
        return BOLD_FONTS.get(self.font, "Helvetica-Bold")

    @property
    def contact_line(self):
        return " · ".join(part for part in (self.phone, self.email, self.website) if part)

    def logo_image(self):
        """The logo as a Pillow RGBA image, or None."""
        if not self.logo_png:
            return None
        return Image.open(io.BytesIO(self.logo_png)).convert("RGBA")


def brand_for(brokerage, *, with_logo=True):
    """The brand kit of ``brokerage``: its colours, font, disclaimer and (``with_logo``) its
    logo, read from storage once."""
    font = brokerage.brand_font if brokerage.brand_font in BOLD_FONTS else BrandFont.HELVETICA
    return Brand(
        name=brokerage.name,
        phone=brokerage.phone,
        email=brokerage.email,
        website=brokerage.website,
        primary=brokerage.brand_primary_color or DEFAULT_PRIMARY,
        accent=brokerage.brand_accent_color or DEFAULT_ACCENT,
        font=font,
        disclaimer=brokerage.brand_disclaimer,
        logo_png=logo_png(brokerage.brand_logo) if with_logo else None,
    )


def logo_png(file_field):
    """A stored logo as PNG bytes no larger than ``LOGO_MAX_SIDE``; None when there is none or
    it cannot be read (a material is still made, with the drawn mark)."""
    if not file_field:
        return None
    try:
        with file_field.open("rb") as stored:
            data = stored.read()
        image = stored_image(data)
    except (OSError, ValidationError) as exc:
        logger.warning("Brand logo %s could not be read: %s", file_field.name, exc)
        return None
    image = image.convert("RGBA")
    image.thumbnail((LOGO_MAX_SIDE, LOGO_MAX_SIDE))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def stored_image(data, *, box=None):
    """Decode stored image bytes with the same limits as an upload (no image bomb gets
    through), shrunk to fit ``box`` when given (JPEG decodes at a reduced scale for it)."""
    info = images.inspect_image(data)
    image = images._open(data)
    if box is not None:
        image.draft("RGB", images.fit_size((info.width, info.height), box))
    image.load()
    if box is not None:
        image.thumbnail(box)
    return image
