"""The one small interface every MLS feed kind implements (RESO Web API, CSV, RETS ...).

A provider reads records from a feed; it knows nothing about listings in our database. The sync
engine (``mls.services``) asks it for pages of RESO records changed since a point and applies
each page in one transaction, saving the page's ``Cursor`` with it, so that a run stopped at any
point resumes after the last page it applied.
"""

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime


class FeedError(Exception):
    """The feed could not be read (after the provider's own retries); the run stops here."""


@dataclass(frozen=True)
class Cursor:
    """Where a sync stands in a feed.

    Records are read in (ModificationTimestamp, ListingKey) order, so "after this timestamp and
    key" is a position that survives records sharing one timestamp across a page boundary.
    ``next_link`` is the server's ``@odata.nextLink`` for the following page, when it gave one;
    a provider falls back to the (timestamp, key) position when the link no longer works.
    """

    timestamp: datetime | None = None
    listing_key: str = ""
    next_link: str = ""

    def as_dict(self):
        return {
            "timestamp": self.timestamp.isoformat() if self.timestamp else None,
            "listing_key": self.listing_key,
            "next_link": self.next_link,
        }

    @classmethod
    def from_dict(cls, data):
        if not data:
            return None
        stamp = data.get("timestamp")
        return cls(
            timestamp=datetime.fromisoformat(stamp) if stamp else None,
            listing_key=data.get("listing_key", ""),
            next_link=data.get("next_link", ""),
        )


@dataclass
class Page:
    """One page of a feed: RESO records (with their ``Media`` lists) and where the next starts.

    ``records`` are dicts keyed by RESO Data Dictionary names exactly as the feed sent them
    (values are not normalised: enumerations may be display strings, timestamps may lack a
    zone). ``cursor`` is the position after the last record of this page. ``total`` is the
    feed's count of matching records when it reports one (``@odata.count``), else None.
    """

    records: list[dict]
    cursor: Cursor
    total: int | None = None
    has_more: bool = False
    errors: list[tuple[str, str]] = field(default_factory=list)  # (listing key or line, reason)


class FeedProvider(ABC):
    """A feed of one MLS provider configuration (``mls.models.MLSProvider``)."""

    def __init__(self, config):
        self.config = config

    @abstractmethod
    def pages(self, *, since: datetime | None, cursor: Cursor | None) -> Iterator[Page]:
        """Pages of records modified after ``since`` (all records when None), oldest first.

        With a ``cursor`` the feed resumes after that position instead.
        """

    @abstractmethod
    def listing_keys(self) -> Iterator[str]:
        """Every ListingKey the feed currently holds (for the nightly reconcile)."""

    def close(self):  # noqa: B027 - most feeds hold nothing to release
        """Release connections."""
