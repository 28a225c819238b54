"""The client's CMA report as a PDF: the brokerage's brand, the agent, the subject, the
comparables, their map coordinates and the price recommendation."""

import io
from decimal import Decimal
from xml.sax.saxutils import escape

from properties.cma import recommended_price
from properties.materials.brand import brand_for
from properties.materials.marks import EHO_WORDING
from properties.materials.pdf import draw_logo
from realestate.formatting import money


def cma_pdf(*, cma, agent):
    """The PDF bytes of a saved CMA, prepared by ``agent`` (their name and contacts)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import LETTER, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    kit = brand_for(cma.brokerage)
    brand = colors.Color(*(channel / 255 for channel in kit.primary_rgb))
    soft = colors.Color(*(channel / 255 for channel in kit.accent_soft_rgb))
    on_brand = colors.Color(*(channel / 255 for channel in kit.on_primary_rgb))
    styles = getSampleStyleSheet()
    body = styles["BodyText"].clone("cma-body", fontName=kit.font)
    heading = styles["Heading1"].clone("cma-heading", textColor=brand, fontName=kit.font_bold)
    subheading = styles["Heading3"].clone("cma-subheading", textColor=brand, fontName=kit.font_bold)
    small = body.clone("cma-small", fontSize=8, leading=10)
    buffer = io.BytesIO()
    page = landscape(LETTER)

    def header(canvas, doc):
        canvas.saveState()
        canvas.setFillColor(brand)
        canvas.rect(0, page[1] - 0.9 * inch, page[0], 0.9 * inch, stroke=0, fill=1)
        draw_logo(canvas, kit, 0.5 * inch, page[1] - 0.75 * inch, 0.6 * inch)
        canvas.setFillColor(on_brand)
        canvas.setFont(kit.font_bold, 16)
        canvas.drawString(1.25 * inch, page[1] - 0.45 * inch, kit.name)
        canvas.setFont(kit.font, 9)
        canvas.drawString(1.25 * inch, page[1] - 0.65 * inch, kit.contact_line)
        canvas.setFillColor(colors.grey)
        canvas.setFont(kit.font, 8)
        canvas.drawString(
            0.5 * inch,
            0.4 * inch,
            f"Comparative market analysis as of {cma.as_of:%B %d, %Y} · page {doc.page}"
            f" · {EHO_WORDING}",
        )
        canvas.restoreState()

    result = cma.result
    story = [
        Paragraph(f"Comparative market analysis: {cma.title}", heading),
        Paragraph(
            f"Prepared for {cma.client or 'the client'} by {agent}"
            + (f", {agent.phone}" if getattr(agent, "phone", "") else "")
            + (f", {agent.user.email}" if getattr(agent, "user", None) else "")
            + (f" (licence {agent.license_number})" if getattr(agent, "license_number", "") else "")
            + f". As of {cma.as_of:%B %d, %Y}.",
            body,
        ),
        Spacer(1, 8),
    ]
    recommendation = recommended_price(cma.estimate)
    summary = [
        ["Recommended price", "Estimated value", "Range", "Per sq ft", "Confidence"],
        [
            money(recommendation) or "—",
            money(cma.estimate, 2) or "—",
            f"{money(cma.low)} – {money(cma.high)}" if cma.low is not None else "—",
            money(cma.price_per_sqft, 2) or "—",
            f"{cma.confidence}/100 ({cma.confidence_label})",
        ],
    ]
    table_style = {"brand": brand, "soft": soft, "on_brand": on_brand, "kit": kit}
    story.append(_table(summary, table_style, Table, TableStyle, colors, header_size=9, size=12))
    story.append(Spacer(1, 8))
    subject = cma.subject
    story.append(Paragraph("Subject", subheading))
    story.append(
        Paragraph(
            ", ".join(f"{name}: {value}" for name, value in subject.items()),
            small,
        )
    )
    for note in result.get("notes", []):
        story.append(Paragraph(note, small))
    story.append(Paragraph("Comparable sales", subheading))
    rows = [
        [
            "Address",
            "Lat, Lon",
            "Miles",
            "Sold",
            "Sale price",
            "Adjustments",
            "Adjusted",
            "Weight",
            "Share",
        ]
    ]
    for comp in result.get("comparables", []):
        adjustments = "<br/>".join(
            f"{a['label']}: {_signed(a['amount'])}" for a in comp["adjustments"]
        )
        rows.append(
            [
                Paragraph(comp["address"], small),
                f"{comp['latitude']:.5f}, {comp['longitude']:.5f}",
                f"{comp['distance_miles']:.2f}",
                comp["close_date"],
                money(comp["close_price"], 2),
                Paragraph(adjustments or "none", small),
                money(comp["adjusted_price"], 2),
                f"{Decimal(comp['weight']) * 100:.2f}%",
                money(comp["contribution"], 2),
            ]
        )
    rows.append(["", "", "", "", "", "", "Estimate", "100%", money(cma.estimate or 0, 2)])
    story.append(
        _table(
            rows,
            table_style,
            Table,
            TableStyle,
            colors,
            header_size=8,
            size=8,
            widths=[
                1.9 * inch,
                1.2 * inch,
                0.5 * inch,
                0.8 * inch,
                0.95 * inch,
                2.2 * inch,
                0.95 * inch,
                0.6 * inch,
                0.9 * inch,
            ],
        )
    )
    story.append(Spacer(1, 6))
    story.append(
        Paragraph(
            "Each comparable's sale price plus its adjustments is its adjusted price; the "
            "estimate is the sum of the adjusted prices times their weights. Adjustment rates "
            "were estimated from "
            f"{result.get('market_sales', 0)} local sales: "
            + "; ".join(f"{r['label']} {r['rate']}" for r in result.get("rates", [])),
            small,
        )
    )
    if kit.disclaimer:
        story.append(Spacer(1, 6))
        story.append(Paragraph(escape(kit.disclaimer).replace("\n", "<br/>"), small))
    doc = SimpleDocTemplate(
        buffer,
        pagesize=page,
        topMargin=1.1 * inch,
        bottomMargin=0.7 * inch,
        leftMargin=0.5 * inch,
        rightMargin=0.5 * inch,
        title=f"CMA {cma.title}",
        author=str(agent),
    )
    doc.build(story, onFirstPage=header, onLaterPages=header)
    return buffer.getvalue()


def _signed(amount):
    value = Decimal(amount)
    return f"{'+' if value >= 0 else '−'}${abs(value):,.2f}"


def _table(rows, style, table_class, style_class, colors, *, header_size, size, widths=None):
    table = table_class(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        style_class(
            [
                ("BACKGROUND", (0, 0), (-1, 0), style["brand"]),
                ("TEXTCOLOR", (0, 0), (-1, 0), style["on_brand"]),
                ("FONTNAME", (0, 0), (-1, 0), style["kit"].font_bold),
                ("FONTNAME", (0, 1), (-1, -1), style["kit"].font),
                ("FONTSIZE", (0, 0), (-1, 0), header_size),
                ("FONTSIZE", (0, 1), (-1, -1), size),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, style["soft"]]),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#c9d6e6")),
            ]
        )
    )
    return table
