"""The listing flyer and the open-house sign-in sheet as one-page PDFs (reportlab), in the
brokerage's colours, font and logo, with the MLS attribution and the Equal Housing mark."""

import io
from xml.sax.saxutils import escape

from properties.materials.brand import brand_for
from properties.materials.listing import (
    MORE_PHOTOS,
    agent_photo,
    checked_remarks,
    key_facts,
    listing_attribution,
    listing_photos,
    mls_disclaimer,
    price_text,
)
from properties.materials.marks import EHO_WORDING, eho_draw_pdf, house_mark_draw_pdf

MARGIN = 36
HEADER_HEIGHT = 72
SIGN_IN_ROWS = 14
# Remarks longer than this end with an ellipsis rather than shrink to an unreadable size.
REMARKS_MAX_CHARS = 1100
CONSENT_TEXT = (
    "By ticking “OK to contact” you agree that {brokerage} and its agents may contact you by "
    "email, phone or text about this home and others like it. Agreeing is optional and is not "
    "a condition of buying or renting; you can withdraw it at any time by telling us."
)


def _color(rgb):
    from reportlab.lib.colors import Color

    return Color(*(channel / 255 for channel in rgb))


def _reader(image):
    """A Pillow image as something ``canvas.drawImage`` draws."""
    from reportlab.lib.utils import ImageReader

    buffer = io.BytesIO()
    image.save(buffer, "PNG" if image.mode == "RGBA" else "JPEG", quality=88)
    buffer.seek(0)
    return ImageReader(buffer)


def _fit_crop(image, width, height):
    """``image`` cropped to the ``width``:``height`` shape (centred), so nothing is squashed."""
    from PIL import ImageOps

    scale = 2  # twice the point size: sharp in print, still small
    return ImageOps.fit(image, (max(int(width * scale), 1), max(int(height * scale), 1)))


def draw_logo(canvas, brand, x, y, size, *, on_band=True):
    """The brokerage's logo in a ``size`` square at x, y: the uploaded logo on a white tile,
    else the drawn house mark."""
    logo = brand.logo_image()
    if logo is None:
        fill, stroke = (
            (brand.on_primary_rgb, brand.primary_rgb)
            if on_band
            else (brand.primary_rgb, (255, 255, 255))
        )
        house_mark_draw_pdf(canvas, x, y, size, fill=fill, stroke=stroke)
        return
    canvas.saveState()
    canvas.setFillColor(_color((255, 255, 255)))
    canvas.roundRect(x, y, size, size, size * 0.15, stroke=0, fill=1)
    canvas.restoreState()
    pad = size * 0.08
    canvas.drawImage(
        _reader(logo),
        x + pad,
        y + pad,
        size - 2 * pad,
        size - 2 * pad,
        preserveAspectRatio=True,
        anchor="c",
        mask="auto",
    )


def draw_header(canvas, brand, page_width, page_height, *, right_text=""):
    """The band across the top: the brand colour, the logo, the brokerage name and contacts."""
    canvas.saveState()
    canvas.setFillColor(_color(brand.primary_rgb))
    canvas.rect(0, page_height - HEADER_HEIGHT, page_width, HEADER_HEIGHT, stroke=0, fill=1)
    draw_logo(canvas, brand, MARGIN, page_height - HEADER_HEIGHT + 12, HEADER_HEIGHT - 24)
    text_x = MARGIN + HEADER_HEIGHT - 12
    canvas.setFillColor(_color(brand.on_primary_rgb))
    canvas.setFont(brand.font_bold, 18)
    canvas.drawString(text_x, page_height - 34, brand.name)
    canvas.setFont(brand.font, 9)
    canvas.drawString(text_x, page_height - 50, brand.contact_line)
    if right_text:
        canvas.setFont(brand.font_bold, 14)
        canvas.drawRightString(page_width - MARGIN, page_height - 42, right_text)
    canvas.restoreState()


def draw_footer(canvas, brand, listing, page_width, *, top):
    """Below ``top``: the Equal Housing mark and wording, the attribution and disclaimers."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Frame, KeepInFrame, Paragraph

    canvas.saveState()
    canvas.setStrokeColor(_color(brand.primary_rgb))
    canvas.setLineWidth(1)
    canvas.line(MARGIN, top, page_width - MARGIN, top)
    canvas.restoreState()
    eho_size = 34
    eho_draw_pdf(canvas, MARGIN, top - 8 - eho_size, eho_size)
    style = ParagraphStyle("footer", fontName=brand.font, fontSize=7.5, leading=9.5)
    bold = ParagraphStyle("footer-bold", parent=style, fontName=brand.font_bold, fontSize=8.5)
    story = [
        Paragraph(escape(EHO_WORDING), bold),
        Paragraph(escape(listing_attribution(listing)), style),
    ]
    for text in (mls_disclaimer(listing), brand.disclaimer):
        if text:
            story.append(Paragraph(escape(text).replace("\n", "<br/>"), style))
    left = MARGIN + eho_size + 10
    width = page_width - MARGIN - left
    height = top - 6 - MARGIN + 10
    frame = Frame(left, MARGIN - 10, width, height, 0, 0, 0, 0, showBoundary=0)
    frame.addFromList([KeepInFrame(width, height, story, mode="shrink")], canvas)


def _paragraph(text, *, font, size, leading=None, color=(26, 32, 44)):
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    style = ParagraphStyle(
        f"p-{font}-{size}",
        fontName=font,
        fontSize=size,
        leading=leading or size * 1.3,
        textColor=_color(color),
    )
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def excerpt(text, limit):
    """``text`` cut at the last whole word within ``limit`` characters, with an ellipsis."""
    text = " ".join(text.split()) if len(text) > limit else text
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def _draw_in_box(canvas, flowables, x, y, width, height):
    from reportlab.platypus import Frame, KeepInFrame

    frame = Frame(x, y, width, height, 0, 0, 0, 0, showBoundary=0)
    frame.addFromList([KeepInFrame(width, height, flowables, mode="shrink")], canvas)


def _new_canvas(buffer, title, author):
    from reportlab.lib.pagesizes import LETTER
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(buffer, pagesize=LETTER)
    canvas.setTitle(title)
    canvas.setAuthor(author)
    return canvas, LETTER


def flyer_pdf(*, listing):
    """The listing's one-page flyer: hero photo, price, address, key facts, remarks, more
    photos, the agent's card, the brand, disclaimer, attribution and the Equal Housing mark.

    Raises ``ValidationError`` while the public remarks have Fair Housing findings.
    """
    remarks = checked_remarks(listing)
    brand = brand_for(listing.brokerage)
    buffer = io.BytesIO()
    canvas, (page_width, page_height) = _new_canvas(
        buffer, f"Flyer: {listing.address_line}", brand.name
    )
    draw_header(
        canvas, brand, page_width, page_height, right_text=listing.get_standard_status_display()
    )
    content_width = page_width - 2 * MARGIN
    photos = listing_photos(listing)
    hero, more = (photos[0], photos[1:]) if photos else (None, [])

    # The hero photo, then up to three more in a row under it.
    hero_top = page_height - HEADER_HEIGHT - 14
    hero_height = 232 if more else 330
    hero_y = hero_top - hero_height
    if hero is not None:
        canvas.drawImage(
            _reader(_fit_crop(hero, content_width, hero_height)),
            MARGIN,
            hero_y,
            content_width,
            hero_height,
        )
    else:
        canvas.setFillColor(_color(brand.accent_rgb))
        canvas.rect(MARGIN, hero_y, content_width, hero_height, stroke=0, fill=1)
        canvas.setFillColor(_color(brand.on_accent_rgb))
        canvas.setFont(brand.font, 14)
        canvas.drawCentredString(page_width / 2, hero_y + hero_height / 2, "Photos coming soon")
    cursor = hero_y - 8
    if more:
        gap = 8
        width = (content_width - gap * (MORE_PHOTOS - 1)) / MORE_PHOTOS
        height = 92
        for index, photo in enumerate(more[:MORE_PHOTOS]):
            canvas.drawImage(
                _reader(_fit_crop(photo, width, height)),
                MARGIN + index * (width + gap),
                cursor - height,
                width,
                height,
            )
        cursor -= height + 8

    # Price and address.
    canvas.setFillColor(_color(brand.primary_rgb))
    canvas.setFont(brand.font_bold, 26)
    canvas.drawString(MARGIN, cursor - 26, price_text(listing))
    canvas.setFillColor(_color((26, 32, 44)))
    canvas.setFont(brand.font_bold, 14)
    canvas.drawRightString(page_width - MARGIN, cursor - 14, listing.street_address)
    canvas.setFont(brand.font, 11)
    canvas.drawRightString(
        page_width - MARGIN,
        cursor - 28,
        f"{listing.city}, {listing.state_or_province} {listing.postal_code}",
    )
    cursor -= 40

    # The key facts on an accent band.
    facts = key_facts(listing)
    if facts:
        band = 30
        canvas.setFillColor(_color(brand.accent_rgb))
        canvas.rect(MARGIN, cursor - band, content_width, band, stroke=0, fill=1)
        canvas.setFillColor(_color(brand.on_accent_rgb))
        step = content_width / len(facts)
        for index, (label, value) in enumerate(facts):
            centre = MARGIN + step * index + step / 2
            canvas.setFont(brand.font_bold, 11)
            canvas.drawCentredString(centre, cursor - 14, value)
            canvas.setFont(brand.font, 7.5)
            canvas.drawCentredString(centre, cursor - 25, label.upper())
        cursor -= band + 10

    footer_top = 128
    # Remarks on the left, the agent's card on the right.
    card_width = 190
    remarks_width = content_width - card_width - 14
    box_height = cursor - footer_top - 10
    if remarks.text:
        _draw_in_box(
            canvas,
            [_paragraph(excerpt(remarks.text, REMARKS_MAX_CHARS), font=brand.font, size=9.5)],
            MARGIN,
            footer_top + 10,
            remarks_width,
            box_height,
        )
    _draw_agent_card(
        canvas,
        brand,
        listing,
        page_width - MARGIN - card_width,
        footer_top + 10,
        card_width,
        min(box_height, 130),
    )
    draw_footer(canvas, brand, listing, page_width, top=footer_top)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_agent_card(canvas, brand, listing, x, y, width, height):
    """The listing agent's photo, name, title and contacts on an accent card."""
    agent = listing.list_agent
    canvas.saveState()
    canvas.setFillColor(_color(brand.accent_rgb))
    top = y + height
    card_height = min(height, 120)
    canvas.roundRect(x, top - card_height, width, card_height, 6, stroke=0, fill=1)
    canvas.restoreState()
    if agent is None:
        lines = [(brand.font_bold, 11, brand.name), (brand.font, 9, brand.contact_line)]
        photo = None
    else:
        lines = [(brand.font_bold, 11, agent.name)]
        if agent.title:
            lines.append((brand.font, 9, agent.title))
        for part in (agent.phone, agent.email):
            if part:
                lines.append((brand.font, 9, part))
        if agent.license_number:
            lines.append((brand.font, 8, f"Licence {agent.license_number}"))
        photo = agent_photo(agent)
    text_x = x + 10
    if photo is not None:
        size = 56
        canvas.drawImage(_reader(_fit_crop(photo, size, size)), x + 10, top - 10 - size, size, size)
        text_x += size + 8
    canvas.setFillColor(_color(brand.on_accent_rgb))
    line_y = top - 22
    for font, size, text in lines:
        canvas.setFont(font, size)
        canvas.drawString(text_x, line_y, _clip(canvas, text, font, size, x + width - 8 - text_x))
        line_y -= size + 4


def _clip(canvas, text, font, size, width):
    """``text`` shortened with an ellipsis to fit ``width`` points."""
    if canvas.stringWidth(text, font, size) <= width:
        return text
    while text and canvas.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def sign_in_sheet_pdf(*, listing, host=None):
    """The open-house sign-in sheet: the listing, date and time to fill in, and rows of name,
    email, phone, working with an agent and a consent box, with the consent wording."""
    from reportlab.platypus import Table, TableStyle

    brand = brand_for(listing.brokerage)
    buffer = io.BytesIO()
    canvas, (page_width, page_height) = _new_canvas(
        buffer, f"Open house sign-in: {listing.address_line}", brand.name
    )
    draw_header(canvas, brand, page_width, page_height, right_text="Open house")
    cursor = page_height - HEADER_HEIGHT - 30
    canvas.setFillColor(_color((26, 32, 44)))
    canvas.setFont(brand.font_bold, 16)
    canvas.drawString(MARGIN, cursor, listing.street_address)
    canvas.setFillColor(_color(brand.primary_rgb))
    canvas.drawRightString(page_width - MARGIN, cursor, price_text(listing))
    cursor -= 16
    canvas.setFillColor(_color((26, 32, 44)))
    canvas.setFont(brand.font, 10)
    facts = " · ".join(f"{value} {label.lower()}" for label, value in key_facts(listing))
    canvas.drawString(
        MARGIN,
        cursor,
        f"{listing.city}, {listing.state_or_province} {listing.postal_code}"
        + (f"  ·  {facts}" if facts else ""),
    )
    cursor -= 26
    host = host or listing.list_agent
    canvas.setFont(brand.font, 10)
    canvas.drawString(MARGIN, cursor, "Date: ____________________")
    canvas.drawString(MARGIN + 170, cursor, "Time: __________ to __________")
    canvas.drawString(
        MARGIN + 360, cursor, f"Host: {host.name}" if host else "Host: ____________________"
    )
    cursor -= 20
    canvas.setFont(brand.font_bold, 12)
    canvas.drawString(MARGIN, cursor, "Welcome! Please sign in.")
    cursor -= 10

    header = ["Name", "Email", "Phone", "Working with\nan agent?", "OK to\ncontact"]
    rows = [header] + [["", "", "", "Yes  /  No", ""] for _ in range(SIGN_IN_ROWS)]
    widths = [140, 160, 100, 74, 66]
    row_height = 24
    table = Table(rows, colWidths=widths, rowHeights=[28] + [row_height] * SIGN_IN_ROWS)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), _color(brand.primary_rgb)),
                ("TEXTCOLOR", (0, 0), (-1, 0), _color(brand.on_primary_rgb)),
                ("FONTNAME", (0, 0), (-1, 0), brand.font_bold),
                ("FONTNAME", (0, 1), (-1, -1), brand.font),
                ("FONTSIZE", (0, 0), (-1, 0), 8.5),
                ("LEADING", (0, 0), (-1, 0), 9.5),
                ("FONTSIZE", (0, 1), (-1, -1), 8.5),
                ("TEXTCOLOR", (3, 1), (3, -1), _color((110, 118, 130))),
                ("ALIGN", (3, 0), (-1, -1), "CENTER"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                (
                    "ROWBACKGROUNDS",
                    (0, 1),
                    (-1, -1),
                    [_color((255, 255, 255)), _color(brand.accent_soft_rgb)],
                ),
                ("GRID", (0, 0), (-1, -1), 0.5, _color((160, 168, 180))),
            ]
        )
    )
    _width, table_height = table.wrapOn(canvas, sum(widths), cursor)
    table_y = cursor - table_height
    table.drawOn(canvas, MARGIN, table_y)
    # The consent boxes, drawn in the last column of every row.
    box = 10
    box_x = MARGIN + sum(widths[:-1]) + (widths[-1] - box) / 2
    canvas.saveState()
    canvas.setStrokeColor(_color((26, 32, 44)))
    canvas.setFillColor(_color((255, 255, 255)))
    for row in range(SIGN_IN_ROWS):
        row_bottom = table_y + row * row_height
        canvas.rect(box_x, row_bottom + (row_height - box) / 2, box, box, stroke=1, fill=1)
    canvas.restoreState()
    footer_top = 112
    _draw_in_box(
        canvas,
        [_paragraph(CONSENT_TEXT.format(brokerage=brand.name), font=brand.font, size=8)],
        MARGIN,
        footer_top + 6,
        page_width - 2 * MARGIN,
        max(table_y - footer_top - 12, 20),
    )
    draw_footer(canvas, brand, listing, page_width, top=footer_top)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
