from celery import shared_task

from properties.models import PropertyMedia
from properties.services import media_process


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def media_process_task(*, media_id):
    """Make the variants of one listing photo; a photo deleted meanwhile is skipped."""
    media = PropertyMedia.objects.filter(pk=media_id).first()
    if media is not None:
        media_process(media=media)
