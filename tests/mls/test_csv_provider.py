from datetime import UTC, datetime
from decimal import Decimal
from functools import partial

import pytest

from mls.choices import ProviderKind, RunKind, RunState
from mls.models import MLSProvider, SyncError
from mls.providers import Cursor, FeedError, provider_for
from mls.providers.csv import CsvFeedProvider
from mls.services import provider_sync
from properties.models import Property
from tests.mls.conftest import Reply

T1 = "2024-03-01T10:00:00Z"
T2 = "2024-03-01T11:00:00Z"
T3 = "2024-03-01T12:00:00Z"
CSV_TYPE = {"Content-Type": "text/csv; charset=utf-8"}


def csv_reply(text, *, encoding="utf-8", headers=CSV_TYPE):
    return Reply(body=text.encode(encoding), headers=headers)


def rows(*lines, delimiter=","):
    return "\r\n".join(delimiter.join(cells) for cells in lines) + "\r\n"


@pytest.fixture
def make_config(make_config, feed_server):
    """The feed server's CSV export as a provider configuration."""
    return partial(
        make_config, name="CSV MLS", kind=ProviderKind.CSV, endpoint=feed_server.url("/export.csv")
    )


def read_all(provider, *, since=None, cursor=None):
    return list(provider.pages(since=since, cursor=cursor))


def keys_of(pages):
    return [record["ListingKey"] for page in pages for record in page.records]


def test_rows_become_records_with_reso_names(feed_server, make_config):
    feed_server.script(
        "/export.csv",
        csv_reply(
            rows(
                ["MLS Number", "Last Modified", "Town", "list price", "Remarks"],
                ["K1", T1, "Springfield", "350000", ""],
            )
        ),
    )
    config = make_config(
        field_mapping={
            "MLS Number": "ListingKey",
            "lastmodified": "ModificationTimestamp",
            "TOWN": "City",
        }
    )

    (page,) = read_all(CsvFeedProvider(config))

    assert page.records == [
        {
            "ListingKey": "K1",
            "ModificationTimestamp": T1,
            "City": "Springfield",
            "ListPrice": "350000",
        }
    ]
    assert page.errors == []
    assert page.cursor == Cursor(timestamp=datetime(2024, 3, 1, 10, tzinfo=UTC), listing_key="K1")
    assert page.total == 1
    assert page.has_more is False


def test_bad_rows_are_reported_by_line_and_good_rows_kept(feed_server, make_config):
    feed_server.script(
        "/export.csv",
        csv_reply(
            rows(
                ["ListingKey", "ModificationTimestamp", "City"],
                ["K1", T1, "Springfield"],
                ["", T1, "No Key"],
                ["K3", "yesterday", "Bad Stamp"],
                ["K4", T2, "Shelbyville"],
            )
        ),
    )

    pages = read_all(CsvFeedProvider(make_config(page_size=10)))

    assert keys_of(pages) == ["K1", "K4"]
    lines = [line for line, _ in pages[0].errors]
    assert lines == ["line 3", "line 4"]
    assert "ListingKey" in pages[0].errors[0][1]
    assert "K3" in pages[0].errors[1][1]
    assert "ModificationTimestamp" in pages[0].errors[1][1]


def test_a_quoted_field_over_two_lines_keeps_later_line_numbers_right(feed_server, make_config):
    text = (
        "ListingKey,ModificationTimestamp,PublicRemarks\r\n"
        f'K1,{T1},"Two\r\nlines"\r\n'
        ",2024-03-01,no key\r\n"
    )
    feed_server.script("/export.csv", csv_reply(text))

    (page,) = read_all(CsvFeedProvider(make_config()))

    assert page.records[0]["PublicRemarks"] == "Two\r\nlines"
    assert [line for line, _ in page.errors] == ["line 4"]


def test_records_are_sorted_and_paged_without_loss_or_repeat(feed_server, make_config):
    feed_server.script(
        "/export.csv",
        csv_reply(
            rows(
                ["ListingKey", "ModificationTimestamp"],
                ["F", T3],
                ["D", T2],
                ["B", T2],
                ["A", T1],
                ["E", T2],
                ["C", T2],
                ["", T1],
            )
        ),
    )
    provider = CsvFeedProvider(make_config())

    pages = read_all(provider)

    assert keys_of(pages) == ["A", "B", "C", "D", "E", "F"]
    assert [page.has_more for page in pages] == [True, True, False]
    assert [page.total for page in pages] == [6, 6, 6]
    assert [len(page.errors) for page in pages] == [1, 0, 0]
    assert pages[1].cursor == Cursor(
        timestamp=datetime(2024, 3, 1, 11, tzinfo=UTC), listing_key="D"
    )

    # Resuming after the first page (its last record shares T2 with the next ones).
    resumed = read_all(provider, cursor=pages[0].cursor)
    assert keys_of(resumed) == ["C", "D", "E", "F"]
    assert resumed[0].total == 4
    assert resumed[0].errors == []

    # Resuming from a cursor saved as a dict, the way a run stores it.
    saved = Cursor.from_dict(pages[1].cursor.as_dict())
    assert keys_of(read_all(provider, cursor=saved)) == ["E", "F"]


def test_since_reads_only_later_records(feed_server, make_config):
    feed_server.script(
        "/export.csv",
        csv_reply(rows(["ListingKey", "ModificationTimestamp"], ["A", T1], ["B", T2], ["C", T3])),
    )
    provider = CsvFeedProvider(make_config(page_size=10))

    (page,) = read_all(provider, since=datetime(2024, 3, 1, 10, tzinfo=UTC))

    assert keys_of([page]) == ["B", "C"]
    assert page.total == 2
    (empty,) = read_all(provider, since=datetime(2024, 3, 2, tzinfo=UTC))
    assert empty.records == []
    assert empty.has_more is False


def test_bom_and_semicolons(feed_server, make_config):
    text = rows(
        ["listing key", "Modification Timestamp", "City"],
        ["K1", T1, "Saint-Étienne"],
        delimiter=";",
    )
    feed_server.script("/export.csv", Reply(body=b"\xef\xbb\xbf" + text.encode(), headers=CSV_TYPE))

    (page,) = read_all(CsvFeedProvider(make_config()))

    assert page.records == [
        {"ListingKey": "K1", "ModificationTimestamp": T1, "City": "Saint-Étienne"}
    ]


def test_tabs_and_pipes_are_sniffed(feed_server, make_config):
    for delimiter in ("\t", "|"):
        feed_server.script(
            "/export.csv",
            csv_reply(
                rows(["ListingKey", "ModificationTimestamp"], ["K1", T1], delimiter=delimiter)
            ),
        )

        (page,) = read_all(CsvFeedProvider(make_config()))

        assert keys_of([page]) == ["K1"]


def test_cp1252_when_not_utf8(feed_server, make_config):
    text = rows(["ListingKey", "ModificationTimestamp", "City"], ["K1", T1, "Montréal – Nord"])
    feed_server.script("/export.csv", csv_reply(text, encoding="cp1252"))

    (page,) = read_all(CsvFeedProvider(make_config()))

    assert page.records[0]["City"] == "Montréal – Nord"


def test_photo_urls_become_media(feed_server, make_config):
    feed_server.script(
        "/export.csv",
        csv_reply(
            rows(
                ["ListingKey", "ModificationTimestamp", "PhotoURLs"],
                ["K1", T1, "https://img.example/1.jpg; https://img.example/2.jpg"],
                ["K2", T1, ""],
            )
        ),
    )
    config = make_config(field_mapping={"PhotoURLs": "MediaURLs"})

    (page,) = read_all(CsvFeedProvider(config))

    first, second = page.records
    media = first["Media"]
    assert [(item["MediaURL"], item["Order"]) for item in media] == [
        ("https://img.example/1.jpg", 0),
        ("https://img.example/2.jpg", 1),
    ]
    assert len({item["MediaKey"] for item in media}) == 2
    assert "MediaURLs" not in first
    assert "Media" not in second


def test_listing_keys_are_every_good_row(feed_server, make_config):
    feed_server.script(
        "/export.csv",
        csv_reply(rows(["ListingKey", "ModificationTimestamp"], ["B", T2], ["A", T1], ["C", "x"])),
    )

    assert list(CsvFeedProvider(make_config()).listing_keys()) == ["A", "B"]
    assert len(feed_server.requests_to("/export.csv")) == 1


def test_a_missing_file_is_a_feed_error(feed_server, make_config):
    with pytest.raises(FeedError, match="404"):
        read_all(CsvFeedProvider(make_config(endpoint=feed_server.url("/missing.csv"))))


def test_an_unexpected_content_type_is_a_feed_error(feed_server, make_config):
    feed_server.script(
        "/export.csv", Reply(body=b"<html></html>", headers={"Content-Type": "text/html"})
    )

    with pytest.raises(FeedError, match="text/html"):
        read_all(CsvFeedProvider(make_config()))


def test_a_file_without_key_columns_is_a_feed_error(feed_server, make_config):
    feed_server.script("/export.csv", csv_reply(rows(["Id", "City"], ["1", "Springfield"])))

    with pytest.raises(FeedError, match="ListingKey"):
        read_all(CsvFeedProvider(make_config()))


def test_provider_for_a_csv_config(make_config):
    assert isinstance(provider_for(make_config()), CsvFeedProvider)
    with pytest.raises(FeedError, match="not supported"):
        provider_for(make_config(kind="ftp"))


@pytest.mark.django_db
def test_a_sync_creates_the_good_rows_and_logs_the_bad_ones(feed_server, personas):
    header = ["ListingKey", "ModificationTimestamp", "City", "PostalCode", "ListPrice"]
    header += ["StandardStatus", "PropertyType"]
    feed_server.script(
        "/export.csv",
        csv_reply(
            rows(
                header,
                ["K1", T1, "Springfield", "62701", "350000", "Active", "Residential"],
                ["", T1, "Springfield", "62701", "1", "Active", "Residential"],
                ["K3", "not a date", "Springfield", "62701", "1", "Active", "Residential"],
                ["K4", T2, "Shelbyville", "62565", "199000.50", "Pending", "Residential"],
            )
        ),
    )
    provider = MLSProvider.objects.create(
        brokerage=personas.brokerage,
        name="CSV MLS",
        kind=ProviderKind.CSV,
        endpoint=feed_server.url("/export.csv"),
        page_size=1,
        allow_private_network=True,
    )

    run = provider_sync(provider=provider, kind=RunKind.FULL)

    assert run.state == RunState.SUCCEEDED, run.message
    listings = Property.objects.filter(mls_provider=provider).order_by("listing_key")
    assert [(item.listing_key, item.city, item.list_price) for item in listings] == [
        ("K1", "Springfield", Decimal("350000")),
        ("K4", "Shelbyville", Decimal("199000.50")),
    ]
    errors = SyncError.objects.filter(run=run).order_by("listing_key")
    assert [error.listing_key for error in errors] == ["line 3", "line 4"]
    assert (run.created, run.failed) == (2, 2)
