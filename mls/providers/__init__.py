"""Feed providers, one module per kind of feed; ``provider_for`` picks the one a config needs."""

from mls.choices import ProviderKind
from mls.providers.base import Cursor, FeedError, FeedProvider, Page

__all__ = ["Cursor", "FeedError", "FeedProvider", "Page", "provider_for"]


def provider_for(config) -> FeedProvider:
    """The feed provider that reads ``config`` (an ``mls.models.MLSProvider``)."""
    if config.kind == ProviderKind.RESO_WEB_API:
        # Imported here: the RESO module reads the Property model, and importing
        # ``mls.providers.base`` must not need the app registry to be ready.
        from mls.providers.reso import ResoWebApiProvider

        return ResoWebApiProvider(config)
    if config.kind == ProviderKind.CSV:
        from mls.providers.csv import CsvFeedProvider

        return CsvFeedProvider(config)
    if config.kind == ProviderKind.RETS:
        from mls.providers.rets import RetsProvider

        return RetsProvider(config)
    label = dict(ProviderKind.choices).get(config.kind, config.kind)
    raise FeedError(f"{label} feeds are not supported; choose a RESO Web API, CSV or RETS feed")
