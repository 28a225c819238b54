"""The geometry of the server-drawn SVG charts."""

from decimal import Decimal

from realestate.charts import BOTTOM, HEIGHT, TOP, bar_chart, line_chart


def test_a_line_breaks_at_a_month_without_a_value_and_spans_the_plot():
    chart = line_chart(
        [{"name": "Median sale price", "values": [Decimal("100"), None, Decimal("300"), 200]}],
        ["Jan", "Feb", "Mar", "Apr"],
        format_value=lambda v: f"${v}",
    )

    line = chart["lines"][0]
    assert len(line["segments"]) == 2  # Jan alone, then Mar–Apr
    ys = [point["y"] for point in line["points"]]
    assert ys[0] == HEIGHT - BOTTOM  # the lowest value sits on the baseline
    assert ys[1] == TOP  # the highest at the top
    assert line["points"][2]["title"] == "Apr: $200"
    assert (chart["low_text"], chart["high_text"]) == ("$100.0", "$300.0")


def test_bars_are_scaled_to_the_largest_value_side_by_side():
    chart = bar_chart(
        [{"name": "Sales", "values": [2, 4]}, {"name": "New", "values": [1, 0]}], ["Jan", "Feb"]
    )

    sales_jan, sales_feb, new_jan, new_feb = chart["bars"]
    plot = HEIGHT - TOP - BOTTOM
    assert sales_feb["height"] == plot
    assert sales_jan["height"] == plot / 2
    assert new_feb["height"] == 0
    assert new_jan["x"] == sales_jan["x"] + sales_jan["width"]
    assert [item["name"] for item in chart["legend"]] == ["Sales", "New"]
