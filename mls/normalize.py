"""From a RESO record as a feed sends it to the values our listing fields store.

Feeds differ: enumerations come as RESO names ("ActiveUnderContract") or display strings
("Active Under Contract"), numbers as strings, lists as comma-separated text, timestamps with
or without a zone. A record that cannot be read raises ``RecordError`` with the reason, which
the sync logs without stopping.
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import orjson
from django.db.models import URLField

from mls.providers.reso import parse_reso_timestamp
from properties.choices import PropertySubType, PropertyType, StandardStatus
from properties.models import Property
from properties.reso import RESO_FIELDS

DELETE_STATUS = "delete"
REQUIRED = ("ListingKey", "ModificationTimestamp", "ListPrice", "City", "PostalCode")


class RecordError(ValueError):
    """A record the sync cannot apply; the message says why."""


def _squash(value):
    return re.sub(r"[^a-z0-9]", "", str(value).lower())


def _enum_lookup(choices):
    lookup = {}
    for value, label in choices:
        lookup[_squash(value)] = value
        lookup[_squash(label)] = value
    for value, label in choices:  # as sent most of the time: found without squashing
        lookup.setdefault(value, value)
        lookup.setdefault(label, value)
    return lookup


ENUMS = {
    "standard_status": _enum_lookup(StandardStatus.choices),
    "property_type": _enum_lookup(PropertyType.choices),
    "property_sub_type": _enum_lookup(PropertySubType.choices),
}
FIELDS = {name: Property._meta.get_field(name) for name in RESO_FIELDS.values()}
# The fields a record sets; PhotosCount is counted from the photos themselves.
READ_FIELDS = [
    (reso_name, field_name)
    for reso_name, field_name in RESO_FIELDS.items()
    if reso_name not in ("ListingKey", "ModificationTimestamp", "PhotosCount")
]
# Part of every record's hash: a change to how records are read applies them all again.
READING_VERSION = b"4"


def record_hash(record: dict) -> str:
    """The hash of a record as the feed sent it: the same hash, nothing to write.

    The keys stay in the order the feed sent them (a feed keeps its order): sorting them took
    longer than the hashing itself, on every record of every page.
    """
    payload = orjson.dumps(record, default=str)
    return hashlib.sha256(READING_VERSION + payload).hexdigest()


@dataclass
class FeedListing:
    """One record, read: the listing's field values, its photos, and whether it is deleted.

    ``values`` holds every MLS-owned field: one the record leaves out is empty.
    """

    listing_key: str
    modified: datetime
    values: dict
    content_hash: str
    media: list = field(default_factory=list)
    deleted: bool = False


def read_record(record: dict, content_hash: str | None = None) -> FeedListing:
    """A ``FeedListing`` from one RESO record, or ``RecordError``."""
    key = str(record.get("ListingKey") or "").strip()
    if not key:
        raise RecordError("ListingKey is missing")
    try:
        modified = parse_reso_timestamp(record.get("ModificationTimestamp"))
    except (TypeError, ValueError) as exc:
        raise RecordError(f"ModificationTimestamp is not a timestamp: {exc}") from exc
    content_hash = content_hash or record_hash(record)
    status = record.get("StandardStatus")
    if status is not None and _squash(status) == DELETE_STATUS:
        return FeedListing(key, modified, {}, content_hash, deleted=True)
    missing = [name for name in REQUIRED if record.get(name) in (None, "")]
    if missing:
        raise RecordError(f"{', '.join(missing)} missing")
    values = {}
    for reso_name, field_name in READ_FIELDS:
        if reso_name not in record:
            default = DEFAULTS[field_name]
            values[field_name] = default.copy() if isinstance(default, list) else default
            continue
        try:
            values[field_name] = CONVERTERS[field_name](record[reso_name])
        except (TypeError, ValueError, InvalidOperation) as exc:
            raise RecordError(f"{reso_name} {record[reso_name]!r}: {exc}") from exc
    values["listing_key"] = key
    values["modification_timestamp"] = modified
    media = _read_media(record.get("Media") or [])
    return FeedListing(key, modified, values, content_hash, media=media)


def _converter(field_name):
    """The function that turns a feed's value into what ``field_name`` stores (made once)."""
    field = FIELDS[field_name]
    kind = field.get_internal_type()
    required = field_name in ENUMS and field_name != "property_sub_type"
    if kind == "JSONField":
        empty = []
    elif field.null:
        empty = None
    else:
        # A feed's null flag is "no" (False), not an empty string a boolean column refuses.
        empty = False if kind == "BooleanField" else ""

    if field_name in ENUMS:
        lookup = ENUMS[field_name]

        def convert(value):
            found = lookup.get(value) or lookup.get(_squash(value))
            if found is None:
                if not required:
                    return ""  # an MLS's own sub-type: not worth losing the listing over
                raise ValueError("is not a RESO value")
            return found

    elif kind == "DecimalField":
        exponent = Decimal(1).scaleb(-field.decimal_places)

        def convert(value):
            number = Decimal(value) if isinstance(value, str | int) else Decimal(str(value))
            if not number.is_finite():
                raise ValueError("is not a number")
            return number.quantize(exponent)

    elif kind in ("PositiveIntegerField", "PositiveSmallIntegerField", "IntegerField"):

        def convert(value):
            if isinstance(value, int) and not isinstance(value, bool):
                number = value
            else:
                number = Decimal(str(value))
                if not number.is_finite():
                    raise ValueError("is not a count")
            if number < 0:
                raise ValueError("is not a count")
            return int(number)

    elif kind == "BooleanField":

        def convert(value):
            if isinstance(value, bool):
                return value
            return str(value).strip().lower() in ("true", "1", "y", "yes")

    elif kind == "DateField":

        def convert(value):
            return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])

    elif kind == "DateTimeField":
        convert = parse_reso_timestamp

    elif kind == "JSONField":

        def convert(value):
            items = value if isinstance(value, list) else str(value).split(",")
            return [text for item in items if (text := str(item).strip())]

    elif isinstance(field, URLField):

        def convert(value):
            text = str(value).strip()
            # Pages render it as a link: only the web's own schemes, never javascript: or data:.
            if not text.lower().startswith(("http://", "https://")):
                return ""
            return text if len(text) <= field.max_length else ""

    else:
        max_length = field.max_length

        def convert(value):
            text = str(value).strip()
            return text[:max_length] if max_length else text

    def convert_or_empty(value):
        if value is None or value == "":
            if required:
                raise ValueError("is empty")
            return empty.copy() if isinstance(empty, list) else empty
        return convert(value)

    return convert_or_empty


CONVERTERS = {field_name: _converter(field_name) for _, field_name in READ_FIELDS}
# What a record that leaves a field out stores in it.
DEFAULTS = {field_name: FIELDS[field_name].get_default() for _, field_name in READ_FIELDS}


def _read_media(media):
    photos = []
    for position, item in enumerate(
        sorted(media, key=lambda m: (m.get("Order") is None, m.get("Order") or 0))
    ):
        url = str(item.get("MediaURL") or "").strip()
        if not url or str(item.get("MediaCategory") or "Photo").lower() not in ("photo", ""):
            continue
        stamp = item.get("MediaModificationTimestamp")
        photos.append(
            {
                "media_key": str(item.get("MediaKey") or url)[:128],
                "media_url": url[:1000],
                "position": position,
                "caption": str(item.get("ShortDescription") or "")[:200],
                "modified": parse_reso_timestamp(stamp).isoformat() if stamp else "",
            }
        )
    return photos
