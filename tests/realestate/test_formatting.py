from decimal import Decimal

import pytest

from realestate.formatting import money, number, status_badge


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
