"""Geometry of the inline SVG charts the pages draw on the server (no chart library).

Each function returns plain numbers that a template in ``templates/includes/`` turns into
``<svg>`` elements: lines with their points, bars with their rectangles, the axis labels.
"""

import math

WIDTH = 720
HEIGHT = 240
TOP = 20
BOTTOM = 30
LEFT = 80
RIGHT = 10
MAX_AXIS_LABELS = 12
PALETTE = ("#2563eb", "#d97706", "#059669", "#7c3aed")


def _slots(labels):
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    step = math.ceil(len(labels) / MAX_AXIS_LABELS) or 1
    axis = [
        {"x": round(LEFT + index * slot + slot / 2, 1), "text": label}
        for index, label in enumerate(labels)
        if index % step == 0
    ]
    return slot, axis


def _frame(labels, low, high, low_text, high_text):
    slot, axis = _slots(labels)
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "top": TOP,
        "baseline": HEIGHT - BOTTOM,
        "label_y": HEIGHT - BOTTOM + 18,
        "axis": axis,
        "low": low,
        "high": high,
        "low_text": low_text,
        "high_text": high_text,
    }, slot


def line_chart(series, labels, format_value=str):
    """Lines of ``series`` (dicts with ``name`` and ``values``, ``None`` for a gap).

    The scale runs from the smallest to the largest value so that a price's moves show;
    a gap breaks the line, each point carries its value as a tooltip.
    """
    values = [float(v) for s in series for v in s["values"] if v is not None]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if high == low:
        low, high = low * 0.95, (high * 1.05) or 1.0
    frame, slot = _frame(labels, low, high, format_value(low), format_value(high))
    plot = HEIGHT - TOP - BOTTOM
    lines = []
    for index, one in enumerate(series):
        segments, points, current = [], [], []
        for position, (value, label) in enumerate(zip(one["values"], labels, strict=True)):
            if value is None:
                if current:
                    segments.append(" ".join(current))
                current = []
                continue
            x = round(LEFT + position * slot + slot / 2, 1)
            y = round(TOP + plot - (float(value) - low) / (high - low) * plot, 1)
            current.append(f"{x},{y}")
            points.append({"x": x, "y": y, "title": f"{label}: {format_value(value)}"})
        if current:
            segments.append(" ".join(current))
        lines.append(
            {
                "name": one["name"],
                "color": PALETTE[index % len(PALETTE)],
                "segments": segments,
                "points": points,
            }
        )
    frame["lines"] = lines
    return frame


def bar_chart(series, labels, format_value=str):
    """Side-by-side bars of ``series`` (dicts with ``name`` and ``values``) from zero."""
    high = max((float(v) for s in series for v in s["values"] if v), default=0.0) or 1.0
    frame, slot = _frame(labels, 0, high, format_value(0), format_value(high))
    plot = HEIGHT - TOP - BOTTOM
    width = slot * 0.8 / max(len(series), 1)
    bars = []
    for index, one in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        for position, (value, label) in enumerate(zip(one["values"], labels, strict=True)):
            height = round(float(value or 0) / high * plot, 1)
            bars.append(
                {
                    "x": round(LEFT + position * slot + slot * 0.1 + index * width, 1),
                    "y": round(TOP + plot - height, 1),
                    "width": round(width, 1),
                    "height": height,
                    "color": color,
                    "title": f"{one['name']}, {label}: {format_value(value or 0)}",
                }
            )
    frame["bars"] = bars
    frame["legend"] = [
        {"name": one["name"], "color": PALETTE[index % len(PALETTE)]}
        for index, one in enumerate(series)
    ]
    return frame
