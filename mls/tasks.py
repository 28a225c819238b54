"""Background work of the MLS feeds: scheduled syncs, nightly reconciles, photo downloads."""

import logging

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError

from mls.choices import RunKind
from mls.http import HttpError, fetch_bytes
from mls.models import MLSProvider, SyncRun
from mls.services import SyncAlreadyRunning, provider_sync
from properties.choices import MediaStatus
from properties.images import ALLOWED_FORMATS
from properties.models import PropertyMedia
from properties.services import media_attach_original, media_fail

logger = logging.getLogger(__name__)

PHOTO_CONTENT_TYPES = tuple(content_type for content_type, _ in ALLOWED_FORMATS.values())


@shared_task(acks_late=True)
def mls_sync_task(*, run_id):
    """Carry out a queued run (from a page, the API or the admin)."""
    run = SyncRun.objects.select_related("provider").filter(pk=run_id).first()
    if run is None:
        return
    try:
        provider_sync(provider=run.provider, kind=run.kind, run=run)
    except SyncAlreadyRunning as exc:
        SyncRun.objects.filter(pk=run.pk, state="queued").update(message=str(exc))


@shared_task(acks_late=True)
def mls_sync_provider_task(*, provider_id, kind=RunKind.INCREMENTAL):
    """The scheduled sync of one provider (celery-beat, at the provider's own interval)."""
    provider = MLSProvider.objects.filter(pk=provider_id, enabled=True).first()
    if provider is None:
        return
    try:
        provider_sync(provider=provider, kind=kind)
    except SyncAlreadyRunning:
        logger.info("sync of %s skipped: the previous run is still going", provider)


@shared_task(acks_late=True)
def mls_photo_fetch_task(*, media_id):
    """Download one MLS photo, check it and make its variants; on failure the MLS URL stays."""
    _photo_fetch(media_id)


@shared_task(acks_late=True)
def mls_photos_fetch_task(*, listing_ids):
    """Download the photos a sync added or changed on these listings (see the task above)."""
    photos = PropertyMedia.objects.filter(
        property_id__in=listing_ids, status=MediaStatus.PENDING
    ).exclude(media_url="")
    for media_id in photos.order_by("property_id", "position").values_list("pk", flat=True):
        _photo_fetch(media_id)


def _photo_fetch(media_id):
    # The download itself retries what is worth retrying (429, 5xx, dropped connections).
    media = (
        PropertyMedia.objects.select_related("property__mls_provider").filter(pk=media_id).first()
    )
    if media is None or not media.media_url or media.status != MediaStatus.PENDING:
        return  # gone, or already fetched by an earlier delivery of this task
    provider = media.property.mls_provider
    try:
        data, _ = fetch_bytes(
            media.media_url,
            max_bytes=settings.LISTING_PHOTO_MAX_BYTES,
            content_types=PHOTO_CONTENT_TYPES,
            allow_private_network=bool(provider and provider.allow_private_network),
        )
        media_attach_original(media=media, data=data)
    except ValidationError as exc:
        media_fail(media=media, reason="; ".join(exc.messages))
    except HttpError as exc:
        media_fail(media=media, reason=str(exc))
