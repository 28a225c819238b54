from decimal import Decimal

import pytest
from django.utils.safestring import mark_safe

from realestate.formatting import checkboxes, html_text, money, number, options, status_badge


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (Decimal("689900.00"), 0, "$689,900"),
        (Decimal("1234.5"), 2, "$1,234.50"),
        (Decimal("-11000"), 0, "-$11,000"),
        (0, 0, "$0"),
        (None, 0, ""),
        ("not money", 0, ""),
    ],
)
def test_money_formats_dollars_with_thousands_separators(value, places, expected):
    assert money(value, places) == expected


def test_number_groups_thousands_and_leaves_nothing_for_no_value():
    assert (number(1800), number(None), number("")) == ("1,800", "", "")


def test_status_badge_escapes_its_label():
    assert status_badge("ActiveUnderContract", "<b>") == (
        '<span class="badge badge--activeundercontract">&lt;b&gt;</span>'
    )


def test_options_mark_the_selected_value_and_escape_what_they_show():
    choices = [("a&b", "A & B"), ("c", "<C>")]
    assert options(choices, "c") == (
        '<option value="a&amp;b">A &amp; B</option><option value="c" selected>&lt;C&gt;</option>'
    )
    assert "selected" not in options(choices, None)


def test_checkboxes_tick_the_checked_values_and_escape_what_they_show():
    html = checkboxes("status", [("Active", "Active"), ("Closed", '"Sold"')], ["Closed"])
    assert html.splitlines() == [
        '<label class="check"><input type="checkbox" name="status" value="Active"> Active</label>',
        '<label class="check"><input type="checkbox" name="status" value="Closed" checked> '
        "&quot;Sold&quot;</label>",
    ]


def test_html_text_escapes_text_and_keeps_safe_markup():
    assert html_text("<b>&'\"") == "&lt;b&gt;&amp;&#x27;&quot;"
    assert html_text(mark_safe("<b>")) == "<b>"
    assert html_text(3) == "3"
