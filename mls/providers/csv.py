"""A CSV export an MLS publishes at a URL, or a broker uploads: one row per listing.

The file is fetched whole, decoded (UTF-8 with or without a BOM, else cp1252) and its delimiter
sniffed from the header line. Columns are renamed to RESO names with the config's
``field_mapping``; rows without a ListingKey or with an unreadable ModificationTimestamp are
reported by their line number. The good rows are served in (ModificationTimestamp, ListingKey)
order, in pages of ``config.page_size``, so a sync resumes after its cursor like any feed.
"""

import csv
import hashlib
import io
import re

from django.core.exceptions import ValidationError

from mls.http import HttpError, SafeSession
from mls.providers.base import Cursor, FeedError, FeedProvider, Page
from mls.providers.reso import parse_reso_timestamp
from properties.reso import RESO_FIELDS

MAX_BYTES = 200 * 1024 * 1024
CONTENT_TYPES = ("text/csv", "application/csv", "text/plain", "application/octet-stream")
DELIMITERS = ",;\t|"
KEY, STAMP, URLS = "ListingKey", "ModificationTimestamp", "MediaURLs"
KNOWN_NAMES = (*RESO_FIELDS, KEY, STAMP, URLS)


def _squash(header):
    """A header as it is matched: without case or whitespace."""
    return "".join(str(header).split()).lower()


def decode(content):
    """The text of a download: UTF-8 (a BOM is dropped), else cp1252."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def sniff_delimiter(text):
    """The delimiter among ``,;\\t|`` that the header line uses most (a comma when none)."""
    header = text.split("\n", 1)[0]
    return max(DELIMITERS, key=header.count)


def media_from(urls):
    """``Media`` items for the photo URLs of a cell (separated by semicolons or spaces)."""
    return [
        {
            "MediaKey": hashlib.sha256(url.encode()).hexdigest()[:40],
            "MediaURL": url,
            "Order": order,
        }
        for order, url in enumerate(re.split(r"[;\s]+", urls.strip()))
        if url
    ]


def read_upload(file):
    """The bytes of an uploaded CSV (within ``MAX_BYTES``), or ``FeedError``."""
    try:
        with file.open("rb") as opened:
            content = opened.read(MAX_BYTES + 1)
    except OSError as error:
        raise FeedError(f"the uploaded CSV cannot be read: {error}") from error
    if len(content) > MAX_BYTES:
        raise FeedError(f"the uploaded CSV is larger than {MAX_BYTES // (1024 * 1024)} MB")
    return content


def csv_upload_check(upload, field_mapping=None):
    """Refuse an upload that is not a CSV feed: too big, or no ListingKey/timestamp column.

    Raises ``ValidationError``; the rows themselves are checked by the sync, which reports the
    bad ones by line and keeps the good ones.
    """
    if upload.size > MAX_BYTES:
        raise ValidationError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    upload.seek(0)
    head = decode(upload.read(64 * 1024))
    upload.seek(0)
    header = next(csv.reader(io.StringIO(head), delimiter=sniff_delimiter(head)), [])
    names = {_squash(name): name for name in KNOWN_NAMES}
    names.update({_squash(column): reso for column, reso in (field_mapping or {}).items()})
    columns = {names.get(_squash(cell)) for cell in header}
    missing = [name for name in (KEY, STAMP) if name not in columns]
    if missing:
        raise ValidationError(
            f"The file's first line has no {' or '.join(missing)} column (map the MLS's own "
            "column names in the field mapping)."
        )


class CsvFeedProvider(FeedProvider):
    """Reads the CSV file uploaded to the config (``feed_file``), else at ``config.endpoint``."""

    def __init__(self, config):
        super().__init__(config)
        names = {_squash(name): name for name in KNOWN_NAMES}
        names.update(
            {_squash(column): reso for column, reso in (config.field_mapping or {}).items()}
        )
        self.names = names  # squashed header -> RESO name
        self._rows = None  # ([(timestamp, key, record)] sorted, [(line, reason)])

    # --- Reading pages ---

    def pages(self, *, since=None, cursor=None):
        rows, errors = self._load()
        if cursor is not None and cursor.timestamp is not None:
            position = (parse_reso_timestamp(cursor.timestamp), cursor.listing_key)
            if position[1]:
                rows = [row for row in rows if row[:2] > position]
            else:  # no key: everything after the timestamp
                rows = [row for row in rows if row[0] > position[0]]
        elif since is not None:
            since = parse_reso_timestamp(since)
            rows = [row for row in rows if row[0] > since]
        # Errors are reported once, on the first page of a read from the start.
        errors = list(errors) if cursor is None else []
        size = self.config.page_size
        if not rows:
            yield Page(records=[], cursor=cursor or Cursor(), total=0, errors=errors)
            return
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            stamp, key, _ = chunk[-1]
            yield Page(
                records=[record for _, _, record in chunk],
                cursor=Cursor(timestamp=stamp, listing_key=key),
                total=len(rows),
                has_more=start + size < len(rows),
                errors=errors if start == 0 else [],
            )

    def listing_keys(self):
        rows, _ = self._load()
        for _, key, _ in rows:
            yield key

    # --- Reading the file ---

    def _load(self):
        if self._rows is None:
            self._rows = self._parse(decode(self._download()))
        return self._rows

    @property
    def _source(self):
        return "the uploaded CSV" if self.config.feed_file else f"the CSV at {self.config.endpoint}"

    def _download(self):
        if self.config.feed_file:
            return read_upload(self.config.feed_file)
        with SafeSession(
            allow_private_network=self.config.allow_private_network, max_bytes=MAX_BYTES
        ) as session:
            try:
                return session.get(self.config.endpoint, content_types=CONTENT_TYPES).content
            except HttpError as error:
                raise FeedError(str(error)) from error

    def _parse(self, text):
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
        try:
            header = next(reader, [])
            columns = [self.names.get(_squash(name), name.strip()) for name in header]
            if KEY not in columns or STAMP not in columns:
                raise FeedError(f"{self._source} has no {KEY} or {STAMP} column")
            rows, errors = [], []
            line = reader.line_num  # the physical line a row starts on follows the last one read
            for cells in reader:
                number, line = line + 1, reader.line_num
                if not any(cell.strip() for cell in cells):
                    continue
                record = self._record(columns, cells)
                key = record.get(KEY, "")
                if not key:
                    errors.append((f"line {number}", f"the row has no {KEY}"))
                    continue
                try:
                    stamp = parse_reso_timestamp(record.get(STAMP))
                except ValueError as error:
                    errors.append((f"line {number}", f"{key}: {STAMP} is unusable: {error}"))
                    continue
                rows.append((stamp, key, record))
        except csv.Error as error:
            raise FeedError(
                f"{self._source} cannot be read at line {reader.line_num}: {error}"
            ) from error
        rows.sort(key=lambda row: row[:2])
        return rows, errors

    @staticmethod
    def _record(columns, cells):
        record = {
            name: value.strip()
            for name, value in zip(columns, cells, strict=False)
            if value.strip()
        }
        urls = record.pop(URLS, "")
        if urls:
            record["Media"] = media_from(urls)
        return record
