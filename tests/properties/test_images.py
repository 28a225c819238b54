import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from properties.choices import MediaStatus
from properties.images import inspect_image, render_variants
from properties.models import PropertyMedia
from properties.services import media_add, media_delete
from tests.testing.factories import image_bytes, make_listing


def test_a_jpeg_is_accepted_with_its_size():
    info = inspect_image(image_bytes("JPEG", (640, 480)))
    assert (info.format, info.width, info.height, info.content_type) == (
        "JPEG",
        640,
        480,
        "image/jpeg",
    )


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_are_accepted(fmt):
    assert inspect_image(image_bytes(fmt, (320, 240))).format == fmt


def test_a_gif_is_refused_as_the_wrong_type():
    with pytest.raises(ValidationError) as error:
        inspect_image(image_bytes("GIF", (32, 32)))
    assert error.value.code == "image_type"


def test_a_file_that_is_not_an_image_is_refused():
    with pytest.raises(ValidationError) as error:
        inspect_image(b"%PDF-1.4 not a photo at all")
    assert error.value.code == "image_unreadable"


def test_a_truncated_jpeg_is_refused():
    data = image_bytes("JPEG", (1200, 900))
    with pytest.raises(ValidationError) as error:
        inspect_image(data[: len(data) // 3])
    assert error.value.code == "image_corrupt"


def test_an_image_bomb_is_refused_from_its_header_without_decoding(settings):
    # A tiny PNG whose header claims 20,000 × 20,000 pixels.
    buffer = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buffer, "PNG", optimize=True)
    assert len(buffer.getvalue()) < 200_000
    with pytest.raises(ValidationError) as error:
        inspect_image(buffer.getvalue())
    assert error.value.code == "image_too_large"


def test_a_file_over_the_byte_limit_is_refused(settings):
    settings.LISTING_PHOTO_MAX_BYTES = 1000
    with pytest.raises(ValidationError) as error:
        inspect_image(image_bytes("PNG", (400, 400)) + b"\0" * 2000)
    assert error.value.code == "file_too_large"


def test_variants_fit_their_boxes_and_keep_the_aspect_ratio():
    rendered = render_variants(image_bytes("JPEG", (4000, 3000)))
    sizes = {}
    for name, formats in rendered.items():
        assert set(formats) == {"jpeg", "webp"}
        sizes[name] = Image.open(io.BytesIO(formats["jpeg"])).size
        assert Image.open(io.BytesIO(formats["webp"])).format == "WEBP"
    assert sizes == {"large": (1920, 1440), "medium": (800, 600), "thumbnail": (200, 150)}


def test_a_small_photo_is_never_enlarged():
    rendered = render_variants(image_bytes("PNG", (300, 100)))
    assert Image.open(io.BytesIO(rendered["large"]["jpeg"])).size == (300, 100)
    assert Image.open(io.BytesIO(rendered["thumbnail"]["jpeg"])).size == (200, 67)


@pytest.mark.django_db
def test_an_uploaded_photo_is_stored_under_a_generated_name_and_processed(personas, settings):
    listing = make_listing(personas.agent.user)
    upload = SimpleUploadedFile("../../etc/passwd.jpg", image_bytes("JPEG", (1024, 768)))
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        media = media_add(listing=listing, upload=upload, actor=personas.agent.user)
    media.refresh_from_db()
    assert media.status == MediaStatus.READY
    assert media.original.name == f"listings/{listing.pk}/{media.uuid}/original.jpg"
    assert set(media.variants) == {"large", "medium", "thumbnail"}
    assert (settings.MEDIA_ROOT / media.variants["thumbnail"]["webp"]).exists()
    listing.refresh_from_db()
    assert listing.photos_count == 1


@pytest.mark.django_db
def test_a_bad_upload_stores_nothing(personas, settings):
    listing = make_listing(personas.agent.user)
    upload = SimpleUploadedFile("house.jpg", b"definitely not a jpeg")
    with pytest.raises(ValidationError):
        media_add(listing=listing, upload=upload, actor=personas.agent.user)
    assert not PropertyMedia.objects.exists()
    assert not (settings.MEDIA_ROOT / "listings").exists()


@pytest.mark.django_db
def test_deleting_a_photo_removes_its_files(personas, settings):
    listing = make_listing(personas.agent.user)
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        media = media_add(
            listing=listing,
            upload=SimpleUploadedFile("a.png", image_bytes("PNG", (400, 300))),
            actor=personas.agent.user,
        )
    media.refresh_from_db()
    stored = [media.original.name] + [n for f in media.variants.values() for n in f.values()]
    with TestCase.captureOnCommitCallbacks(execute=True):
        media_delete(media=media, actor=personas.agent.user)
    assert not any((settings.MEDIA_ROOT / name).exists() for name in stored)
    listing.refresh_from_db()
    assert listing.photos_count == 0


@pytest.mark.django_db
def test_a_photo_that_cannot_be_processed_is_marked_failed(personas):
    from django.core.files.base import ContentFile

    from properties.services import media_process

    listing = make_listing(personas.agent.user)
    media = PropertyMedia(property=listing)
    media.original.save("original.jpg", ContentFile(b"corrupt"), save=False)
    media.save()
    media_process(media=media)
    media.refresh_from_db()
    assert media.status == MediaStatus.FAILED
    assert media.error
    assert media.variant_url("thumbnail") == media.original.url


@pytest.mark.django_db
def test_an_agent_photo_is_checked_before_it_is_decoded(personas):
    buffer = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buffer, "PNG", optimize=True)
    personas.agent.photo = SimpleUploadedFile("me.png", buffer.getvalue())
    with pytest.raises(ValidationError) as error:
        personas.agent.full_clean()
    assert "photo" in error.value.message_dict
    personas.agent.photo = SimpleUploadedFile("me.jpg", image_bytes("JPEG", (300, 300)))
    personas.agent.full_clean()
    personas.agent.save()
    assert personas.agent.photo.name.startswith("agents/")
    assert "me" not in personas.agent.photo.name


@pytest.mark.django_db
def test_the_first_photo_becomes_the_listing_cover_thumbnail(personas):
    from django.test import TestCase

    listing = make_listing(personas.agent.user)
    assert listing.thumbnail_url == ""
    with TestCase.captureOnCommitCallbacks(execute=True):
        first = media_add(
            listing=listing,
            upload=SimpleUploadedFile("a.jpg", image_bytes("JPEG", (800, 600))),
            actor=personas.agent.user,
        )
        media_add(
            listing=listing,
            upload=SimpleUploadedFile("b.jpg", image_bytes("JPEG", (800, 600))),
            actor=personas.agent.user,
        )
    first.refresh_from_db()
    listing.refresh_from_db()
    assert listing.cover_thumbnail == first.variants["thumbnail"]["jpeg"]
    assert listing.thumbnail_url.endswith("/thumbnail.jpg")
    with TestCase.captureOnCommitCallbacks(execute=True):
        media_delete(media=first, actor=personas.agent.user)
    listing.refresh_from_db()
    assert listing.cover_thumbnail.startswith(f"listings/{listing.pk}/")
    assert listing.cover_thumbnail != first.variants["thumbnail"]["jpeg"]
