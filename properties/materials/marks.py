"""Marks drawn as vectors, never fetched: the Equal Housing Opportunity logo (a house with an
equals sign in it) and the brokerage's house mark used when it has no logo of its own.

Each has a reportlab (PDF) and a Pillow (PNG) drawing from the same shape, in a unit square
whose y axis points up.
"""

EHO_WORDING = "Equal Housing Opportunity"

# The house: its outline, the hollow inside and the two bars of the equals sign.
_EHO_OUTER = [(0.5, 1.0), (1.0, 0.6), (0.88, 0.6), (0.88, 0.0), (0.12, 0.0), (0.12, 0.6), (0, 0.6)]
_EHO_INNER = [(0.5, 0.85), (0.76, 0.62), (0.76, 0.11), (0.24, 0.11), (0.24, 0.62)]
_EHO_BARS = [(0.33, 0.43, 0.67, 0.53), (0.33, 0.22, 0.67, 0.32)]


def _pdf_polygon(canvas, points, x, y, size):
    path = canvas.beginPath()
    first, *rest = points
    path.moveTo(x + first[0] * size, y + first[1] * size)
    for px, py in rest:
        path.lineTo(x + px * size, y + py * size)
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)


def eho_draw_pdf(canvas, x, y, size, *, color=(0, 0, 0), background=(255, 255, 255)):
    """The Equal Housing Opportunity mark, ``size`` points square, its lower left at x, y."""
    from reportlab.lib.colors import Color

    canvas.saveState()
    canvas.setFillColor(Color(*(c / 255 for c in color)))
    _pdf_polygon(canvas, _EHO_OUTER, x, y, size)
    canvas.setFillColor(Color(*(c / 255 for c in background)))
    _pdf_polygon(canvas, _EHO_INNER, x, y, size)
    canvas.setFillColor(Color(*(c / 255 for c in color)))
    for left, bottom, right, top in _EHO_BARS:
        canvas.rect(
            x + left * size, y + bottom * size, (right - left) * size, (top - bottom) * size, 0, 1
        )
    canvas.restoreState()


def eho_draw_image(draw, x, y, size, *, color, background):
    """The same mark on a Pillow ``ImageDraw``, its top left at x, y (image axes)."""

    def at(points):
        return [(x + px * size, y + (1 - py) * size) for px, py in points]

    draw.polygon(at(_EHO_OUTER), fill=color)
    draw.polygon(at(_EHO_INNER), fill=background)
    for left, bottom, right, top in _EHO_BARS:
        draw.rectangle(
            [x + left * size, y + (1 - top) * size, x + right * size, y + (1 - bottom) * size],
            fill=color,
        )


def house_mark_draw_pdf(canvas, x, y, size, *, fill, stroke):
    """The brokerage's house mark (the app logo): a rounded square with a house line drawing."""
    from reportlab.lib.colors import Color

    scale = size / 32
    canvas.saveState()
    canvas.setFillColor(Color(*(c / 255 for c in fill)))
    canvas.roundRect(x, y, size, size, 7 * scale, stroke=0, fill=1)
    canvas.setStrokeColor(Color(*(c / 255 for c in stroke)))
    canvas.setLineWidth(2.4 * scale)
    for points in (
        [(7, 16.5), (16, 9), (25, 16.5)],
        [(10, 15), (10, 23), (22, 23), (22, 15)],
    ):
        path = canvas.beginPath()
        (first_x, first_y), *rest = points
        path.moveTo(x + first_x * scale, y + (32 - first_y) * scale)
        for px, py in rest:
            path.lineTo(x + px * scale, y + (32 - py) * scale)
        canvas.drawPath(path, stroke=1, fill=0)
    canvas.restoreState()


def house_mark_draw_image(draw, x, y, size, *, fill, stroke):
    """The house mark on a Pillow ``ImageDraw``, its top left at x, y."""
    scale = size / 32
    draw.rounded_rectangle([x, y, x + size, y + size], radius=7 * scale, fill=fill)
    width = max(int(2.4 * scale), 1)
    for points in (
        [(7, 16.5), (16, 9), (25, 16.5)],
        [(10, 15), (10, 23), (22, 23), (22, 15)],
    ):
        draw.line(
            [(x + px * scale, y + py * scale) for px, py in points],
            fill=stroke,
            width=width,
            joint="curve",
        )
