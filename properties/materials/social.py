"""Social-media images of a listing (PNG, Pillow): the photo, a banner, the price and address,
the logo, the MLS attribution and the Equal Housing mark, in the brokerage's colours."""

import io
from pathlib import Path

from django.db import models
from PIL import Image, ImageDraw, ImageFont, ImageOps

from properties.materials.brand import brand_for
from properties.materials.listing import (
    checked_remarks,
    key_facts,
    listing_attribution,
    listing_photos,
    price_text,
)
from properties.materials.marks import EHO_WORDING, eho_draw_image, house_mark_draw_image
from realestate.formatting import money


class SocialSize(models.TextChoices):
    """The common post shapes, named by where they are used."""

    SQUARE = "square", "Instagram square (1080×1080)"
    PORTRAIT = "portrait", "Instagram portrait (1080×1350)"
    STORY = "story", "Story (1080×1920)"
    LINK = "link", "Facebook / link (1200×630)"


SOCIAL_DIMENSIONS = {
    SocialSize.SQUARE: (1080, 1080),
    SocialSize.PORTRAIT: (1080, 1350),
    SocialSize.STORY: (1080, 1920),
    SocialSize.LINK: (1200, 630),
}


class SocialBanner(models.TextChoices):
    JUST_LISTED = "just_listed", "Just listed"
    PRICE_REDUCED = "price_reduced", "Price reduced"
    OPEN_HOUSE = "open_house", "Open house"


# DejaVu from the operating system when it is there; Pillow's own font otherwise.
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
DARK = (26, 32, 44)
PLACEHOLDER = (229, 231, 235)  # where the photo goes while the listing has none


def _font(size, *, bold=False):
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for directory in FONT_DIRS:
        path = directory / name
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def _fit_text(draw, text, size, width, *, bold=False, minimum=12):
    """The largest font (from ``size`` down) that fits ``text`` into ``width`` pixels, and the
    text, shortened with an ellipsis if even the smallest does not fit."""
    while True:
        font = _font(size, bold=bold)
        if draw.textlength(text, font=font) <= width or size <= minimum:
            break
        size = max(int(size * 0.9), minimum)
    while text and draw.textlength(text, font=font) > width:
        text = text[:-2] + "…"
    return font, text


def _wrap(draw, text, font, width, max_lines):
    """``text`` broken into at most ``max_lines`` lines of ``width`` pixels."""
    lines, line = [], ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if draw.textlength(trial, font=font) <= width:
            line = trial
            continue
        if line:
            lines.append(line)
        line = word
        if len(lines) == max_lines:
            break
    if line and len(lines) < max_lines:
        lines.append(line)
    return lines


def social_png(*, listing, size=SocialSize.SQUARE, banner=SocialBanner.JUST_LISTED):
    """A social-media image of the listing in one of ``SOCIAL_DIMENSIONS``.

    Raises ``ValidationError`` while the public remarks have Fair Housing findings.
    """
    checked_remarks(listing)
    size, banner = SocialSize(size), SocialBanner(banner)
    width, height = SOCIAL_DIMENSIONS[size]
    brand = brand_for(listing.brokerage)
    unit = min(width, height) / 1080  # everything scales with the shorter side
    canvas = Image.new("RGB", (width, height), brand.primary_rgb)
    draw = ImageDraw.Draw(canvas)

    wide = width > height * 1.4
    panel_height = int(height * (0.34 if not wide else 1))
    footer_height = int(66 * unit)
    photos = listing_photos(listing, count=1, box=(width, height))
    # The photo fills the top (beside the panel when the image is wide).
    if wide:
        photo_box = (0, 0, int(width * 0.58), height - footer_height)
        panel = (photo_box[2], 0, width, height - footer_height)
    else:
        photo_box = (0, 0, width, height - panel_height - footer_height)
        panel = (0, photo_box[3], width, height - footer_height)
    photo_size = (photo_box[2] - photo_box[0], photo_box[3] - photo_box[1])
    if photos:
        canvas.paste(ImageOps.fit(photos[0], photo_size), photo_box[:2])
    else:
        draw.rectangle(photo_box, fill=PLACEHOLDER)
        font = _font(int(40 * unit))
        draw.text(
            ((photo_box[0] + photo_box[2]) / 2, (photo_box[1] + photo_box[3]) / 2),
            "Photos coming soon",
            font=font,
            fill=DARK,
            anchor="mm",
        )

    pad = int(48 * unit)
    # The banner: the accent colour over the photo's top left corner.
    banner_font = _font(int(44 * unit), bold=True)
    text = banner.label.upper()
    text_width = draw.textlength(text, font=banner_font)
    banner_height = int(86 * unit)
    draw.rectangle([0, pad, pad + text_width + pad, pad + banner_height], fill=brand.accent_rgb)
    draw.text(
        (pad, pad + banner_height / 2),
        text,
        font=banner_font,
        fill=brand.on_accent_rgb,
        anchor="lm",
    )
    # The logo on a white tile in the top right corner.
    logo_size = int(120 * unit)
    tile = (width - pad - logo_size, pad - int(12 * unit))
    _paste_logo(canvas, draw, brand, tile, logo_size)

    # Price, address and facts on the brand panel.
    left, top, right, bottom = panel
    inner = right - left - 2 * pad
    # Beside a wide photo the panel has the logo at its top: the text starts under it.
    y = top + (pad + logo_size + int(24 * unit) if wide else int(40 * unit))
    font, price = _fit_text(draw, price_text(listing), int(96 * unit), inner, bold=True)
    draw.text((left + pad, y), price, font=font, fill=brand.on_primary_rgb)
    was = listing.original_list_price
    if banner == SocialBanner.PRICE_REDUCED and was and was > listing.list_price:
        # The old price beside the new one, struck through.
        price_width = draw.textlength(price, font=font)
        was_font = _font(int(font.size * 0.45))
        was_text = money(was)
        was_x = left + pad + price_width + int(24 * unit)
        if was_x + draw.textlength(was_text, font=was_font) <= right - pad:
            was_y = y + font.size * 0.45
            draw.text((was_x, was_y), was_text, font=was_font, fill=brand.on_primary_rgb)
            box_left, box_top, box_right, box_bottom = draw.textbbox(
                (was_x, was_y), was_text, font=was_font
            )
            middle = (box_top + box_bottom) / 2
            draw.line(
                [(box_left, middle), (box_right, middle)],
                fill=brand.on_primary_rgb,
                width=max(int(3 * unit), 1),
            )
    y += int(font.size * 1.2)
    font, street = _fit_text(draw, listing.street_address, int(48 * unit), inner, bold=True)
    draw.text((left + pad, y), street, font=font, fill=brand.on_primary_rgb)
    y += int(font.size * 1.3)
    place = f"{listing.city}, {listing.state_or_province} {listing.postal_code}"
    font, place = _fit_text(draw, place, int(38 * unit), inner)
    draw.text((left + pad, y), place, font=font, fill=brand.on_primary_rgb)
    y += int(font.size * 1.5)
    facts = "  ·  ".join(f"{value} {label.lower()}" for label, value in key_facts(listing)[:4])
    if facts and y + 36 * unit < bottom:
        font, facts = _fit_text(draw, facts, int(36 * unit), inner)
        draw.text((left + pad, y), facts, font=font, fill=brand.on_primary_rgb)
        y += int(font.size * 1.6)
    if wide and y + 60 * unit < bottom:
        font = _font(int(30 * unit))
        agent = listing.list_agent
        contact = (
            " · ".join(part for part in (agent.name, agent.phone) if part)
            if agent
            else brand.contact_line
        )
        for line in _wrap(draw, contact, font, inner, 2):
            draw.text((left + pad, y), line, font=font, fill=brand.on_primary_rgb)
            y += int(font.size * 1.3)

    # The footer: Equal Housing mark and wording, and the MLS attribution.
    footer_top = height - footer_height
    draw.rectangle([0, footer_top, width, height], fill=(255, 255, 255))
    mark = int(footer_height * 0.7)
    eho_draw_image(
        draw,
        int(24 * unit),
        footer_top + (footer_height - mark) / 2,
        mark,
        color=DARK,
        background=(255, 255, 255),
    )
    text_left = int(24 * unit) + mark + int(16 * unit)
    small = _font(max(int(20 * unit), 11))
    lines = [EHO_WORDING + " · " + listing_attribution(listing)]
    lines = _wrap(draw, lines[0], small, width - text_left - int(24 * unit), 2)
    line_height = small.size * 1.25
    y = footer_top + (footer_height - line_height * len(lines)) / 2
    for line in lines:
        draw.text((text_left, y), line, font=small, fill=DARK)
        y += line_height

    buffer = io.BytesIO()
    canvas.save(buffer, "PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


def _paste_logo(canvas, draw, brand, position, size):
    x, y = position
    logo = brand.logo_image()
    if logo is None:
        house_mark_draw_image(draw, x, y, size, fill=(255, 255, 255), stroke=brand.primary_rgb)
        return
    draw.rounded_rectangle([x, y, x + size, y + size], radius=size * 0.15, fill=(255, 255, 255))
    pad = int(size * 0.08)
    logo = ImageOps.contain(logo, (size - 2 * pad, size - 2 * pad))
    offset = (x + (size - logo.width) // 2, y + (size - logo.height) // 2)
    canvas.paste(logo, offset, logo)
