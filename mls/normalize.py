"""From a RESO record as a feed sends it to the values our listing fields store.

Feeds differ: enumerations come as RESO names ("ActiveUnderContract") or display strings
("Active Under Contract"), numbers as strings, lists as comma-separated text, timestamps with
or without a zone. A record that cannot be read raises ``RecordError`` with the reason, which
the sync logs without stopping.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

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
    return lookup


ENUMS = {
    "standard_status": _enum_lookup(StandardStatus.choices),
    "property_type": _enum_lookup(PropertyType.choices),
    "property_sub_type": _enum_lookup(PropertySubType.choices),
}
FIELDS = {name: Property._meta.get_field(name) for name in RESO_FIELDS.values()}


@dataclass
class FeedListing:
    """One record, read: the listing's field values, its photos, and whether it is deleted."""

    listing_key: str
    modified: datetime
    values: dict
    media: list = field(default_factory=list)
    deleted: bool = False

    @property
    def content_hash(self):
        payload = json.dumps([self.values, self.media], sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()


def read_record(record: dict) -> FeedListing:
    """A ``FeedListing`` from one RESO record, or ``RecordError``."""
    key = str(record.get("ListingKey") or "").strip()
    if not key:
        raise RecordError("ListingKey is missing")
    try:
        modified = parse_reso_timestamp(record.get("ModificationTimestamp"))
    except (TypeError, ValueError) as exc:
        raise RecordError(f"ModificationTimestamp is not a timestamp: {exc}") from exc
    status = record.get("StandardStatus")
    if status is not None and _squash(status) == DELETE_STATUS:
        return FeedListing(key, modified, {}, deleted=True)
    missing = [name for name in REQUIRED if record.get(name) in (None, "")]
    if missing:
        raise RecordError(f"{', '.join(missing)} missing")
    values = {}
    for reso_name, field_name in RESO_FIELDS.items():
        if reso_name not in record or reso_name in ("PhotosCount",):
            continue
        try:
            values[field_name] = _convert(field_name, record[reso_name])
        except (TypeError, ValueError, InvalidOperation) as exc:
            raise RecordError(f"{reso_name} {record[reso_name]!r}: {exc}") from exc
    values["listing_key"] = key
    values["modification_timestamp"] = modified
    return FeedListing(key, modified, values, media=_read_media(record.get("Media") or []))


def _convert(field_name, value):
    field = FIELDS[field_name]
    kind = field.get_internal_type()
    if value is None or value == "":
        if field_name in ENUMS and field_name != "property_sub_type":
            raise ValueError("is empty")
        return [] if kind == "JSONField" else (None if field.null else "")
    if field_name in ENUMS:
        found = ENUMS[field_name].get(_squash(value))
        if found is None:
            if field_name == "property_sub_type":
                return ""  # an MLS's own sub-type: not worth losing the listing over
            raise ValueError("is not a RESO value")
        return found
    if kind == "DecimalField":
        number = Decimal(str(value))
        if not number.is_finite():
            raise ValueError("is not a number")
        return number.quantize(Decimal(1).scaleb(-field.decimal_places))
    if kind in ("PositiveIntegerField", "PositiveSmallIntegerField", "IntegerField"):
        number = Decimal(str(value))
        if not number.is_finite() or number < 0:
            raise ValueError("is not a count")
        return int(number)
    if kind == "BooleanField":
        return str(value).strip().lower() in ("true", "1", "y", "yes")
    if kind == "DateField":
        return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    if kind == "DateTimeField":
        return parse_reso_timestamp(value)
    if kind == "JSONField":
        items = value if isinstance(value, list) else str(value).split(",")
        return [str(item).strip() for item in items if str(item).strip()]
    text = str(value).strip()
    return text[: field.max_length] if field.max_length else text


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
