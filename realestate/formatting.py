"""Template filters for money and counts, and tags for a filter form's choices, loaded into
every template.

They format with plain Python, which is many times faster than ``floatformat|intcomma`` or a
template loop, and matters on list pages that show dozens of prices and of choices.
"""

from decimal import Decimal, InvalidOperation
from html import escape

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeData, SafeString

register = template.Library()


@register.filter
def money(value, places=0):
    """``689900`` → ``$689,900``; ``money:2`` keeps cents. Empty for no value."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.{int(places)}f}"


@register.filter
def number(value):
    """``1800`` → ``1,800``. Empty for no value."""
    if value is None or value == "":
        return ""
    try:
        return f"{Decimal(value):,.0f}"
    except (InvalidOperation, TypeError, ValueError):
        return ""


@register.simple_tag
def status_badge(status, label):
    """The coloured badge of a listing status (``badge--active`` ...)."""
    return format_html('<span class="badge badge--{}">{}</span>', str(status).lower(), label)


def html_text(value):
    """``value`` as HTML text: escaped, unless it is already safe markup.

    What ``conditional_escape`` does, without the lazy-string checks it and ``format_html``
    make for every value: the listing cards and the choices below write hundreds of values.
    """
    return value if isinstance(value, SafeData) else escape(str(value))


@register.simple_tag
def options(choices, selected):
    """A select's ``<option>`` elements: ``choices`` as (value, label), the one whose value
    equals ``selected`` marked (``{% options sort_options current_sort %}``)."""
    return SafeString(
        "".join(
            f'<option value="{html_text(value)}"{" selected" if value == selected else ""}>'
            f"{html_text(label)}</option>"
            for value, label in choices
        )
    )


@register.simple_tag
def checkboxes(name, choices, checked):
    """A filter's labelled check boxes named ``name``: one per choice (value, label), those
    whose value is in ``checked`` ticked (``{% checkboxes "status" choices selected %}``)."""
    name = html_text(name)
    return SafeString(
        "\n".join(
            f'<label class="check"><input type="checkbox" name="{name}" '
            f'value="{html_text(value)}"{" checked" if value in checked else ""}> '
            f"{html_text(label)}</label>"
            for value, label in choices
        )
    )
