"""Listing photos stored through django-storages in S3, against a real local S3 server (moto).

The moto server runs in this process on 127.0.0.1 and speaks S3 over HTTP: the product's
storage, boto3 and plain ``requests`` all reach it as they would reach AWS or MinIO.
"""

import html
import io
import json
import re
import runpy
import uuid
from datetime import UTC, datetime, timedelta
from importlib.util import find_spec
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from moto.server import ThreadedMotoServer
from PIL import Image
from storages.backends.s3 import S3Storage

from mls.choices import RunKind, RunState
from mls.demo.feed import demo_feed_for
from mls.models import MLSProvider
from mls.providers.reso import ResoWebApiProvider
from mls.services import provider_save, provider_sync
from mls.tasks import mls_photo_fetch_task
from properties.choices import MediaStatus
from properties.models import Property, PropertyMedia
from properties.services import media_add, media_delete, media_process
from tests.testing.factories import image_bytes, make_listing

pytestmark = pytest.mark.django_db

ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key"
REGION = "us-east-1"
# A wide photo, so that each variant's box clips a different side than a 4:3 one would.
UPLOAD_SIZE = (2000, 1000)
VARIANT_PIXELS = {"large": (1920, 960), "medium": (800, 400), "thumbnail": (200, 100)}
FORMATS = {"jpeg": ("jpg", "JPEG", "image/jpeg"), "webp": ("webp", "WEBP", "image/webp")}
FEED = "s3-test"
FEED_NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def s3_endpoint():
    """One moto S3 server for the module, on a port the system picks (no race for a free port)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        yield endpoint
        # Moto keeps its buckets in this process's memory: drop them with the server.
        requests.post(f"{endpoint}/moto-api/reset", timeout=5)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def s3_client(s3_endpoint):
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )
    yield client
    client.close()


def use_s3(settings, monkeypatch, tmp_path, endpoint, bucket, **environment):
    """Switch the default storage to S3 exactly as realestate/settings.py configures it.

    The settings module is run again with the environment a deployment would set, so the
    storage options under test are the product's own; only the keys are given explicitly,
    so that nothing depends on AWS credentials in the environment.
    """
    values = {
        "VAR_DIR": str(tmp_path / "var"),
        "CELERY_BROKER_URL": "memory://",
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": REGION,
        **environment,
    }
    with monkeypatch.context() as patch:
        for name, value in values.items():
            patch.setenv(name, value)
        product = runpy.run_path(find_spec("realestate.settings").origin)
    storage = product["STORAGES"]["default"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"]["endpoint_url"] == endpoint
    options = {**storage["OPTIONS"], "access_key": ACCESS_KEY, "secret_key": SECRET_KEY}
    settings.STORAGES = {**settings.STORAGES, "default": {**storage, "OPTIONS": options}}
    # Both the storage the services call and the one the photo's FileField holds are S3 now.
    assert isinstance(PropertyMedia._meta.get_field("original").storage, S3Storage)
    assert isinstance(default_storage, S3Storage)
    assert default_storage.bucket_name == bucket


@pytest.fixture
def bucket(settings, monkeypatch, tmp_path, s3_endpoint, s3_client):
    """A fresh bucket per test, and the product's default storage switched to it."""
    name = f"photos-{uuid.uuid4().hex[:16]}"
    s3_client.create_bucket(Bucket=name)
    use_s3(settings, monkeypatch, tmp_path, s3_endpoint, name)
    return name


def bucket_objects(s3_client, bucket):
    """Every object in the bucket: key -> (content type, bytes)."""
    listed = s3_client.list_objects_v2(Bucket=bucket)
    objects = {}
    for item in listed.get("Contents", []):
        got = s3_client.get_object(Bucket=bucket, Key=item["Key"])
        objects[item["Key"]] = (got["ContentType"], got["Body"].read())
    return objects


def bucket_keys(s3_client, bucket):
    return {item["Key"] for item in s3_client.list_objects_v2(Bucket=bucket).get("Contents", [])}


def stored_names(media):
    """The storage names a photo row points at: its original and every variant."""
    names = {name for formats in media.variants.values() for name in formats.values()}
    return names | {media.original.name} if media.original else names


def decoded(data):
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def assert_original_and_variants_in_bucket(media, objects, original_size):
    """The photo's original and its six variants are real images of the right size in S3."""
    base = media.original.name.rsplit("/", 1)[0]
    assert media.original.name == f"{base}/original.jpg"
    expected = {f"{base}/original.jpg"} | {
        f"{base}/{size}.{extension}"
        for size in VARIANT_PIXELS
        for extension, _, _ in FORMATS.values()
    }
    assert set(objects) >= expected
    assert stored_names(media) == expected
    content_type, data = objects[media.original.name]
    original = decoded(data)
    assert (content_type, original.format, original.size) == ("image/jpeg", "JPEG", original_size)
    for size, pixels in VARIANT_PIXELS.items():
        for fmt, (extension, pillow_format, mime) in FORMATS.items():
            key = media.variants[size][fmt]
            assert key == f"{base}/{size}.{extension}"
            content_type, data = objects[key]
            image = decoded(data)
            assert (content_type, image.format, image.size) == (mime, pillow_format, pixels)


def upload_photo(listing, actor, django_capture_on_commit_callbacks, size=UPLOAD_SIZE):
    """Upload through the service and let its on-commit processing task run (Celery is eager)."""
    upload = SimpleUploadedFile("front.jpg", image_bytes("JPEG", size), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        media = media_add(listing=listing, upload=upload, actor=actor)
    media.refresh_from_db()
    assert media.status == MediaStatus.READY, media.error
    return media


def test_an_uploaded_photo_and_its_variants_are_stored_in_the_bucket(
    personas, bucket, s3_client, settings, django_capture_on_commit_callbacks
):
    listing = make_listing(personas.agent.user)
    media = upload_photo(listing, personas.agent.user, django_capture_on_commit_callbacks)

    objects = bucket_objects(s3_client, bucket)
    assert set(objects) == stored_names(media)
    assert all(key.startswith(f"listings/{listing.pk}/{media.uuid}/") for key in objects)
    assert_original_and_variants_in_bucket(media, objects, UPLOAD_SIZE)
    assert objects[media.original.name][1] == image_bytes("JPEG", UPLOAD_SIZE)
    # Nothing went to local disk instead.
    assert not [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]
    listing.refresh_from_db()
    assert listing.cover_thumbnail == media.variants["thumbnail"]["jpeg"]
    # Private objects: the bucket's owner only, nobody reads them without a signed URL.
    for key in objects:
        grants = s3_client.get_object_acl(Bucket=bucket, Key=key)["Grants"]
        assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]
        assert all(grant["Grantee"]["Type"] == "CanonicalUser" for grant in grants)


def test_processing_a_photo_again_leaves_no_old_variants_behind(
    personas, bucket, s3_client, django_capture_on_commit_callbacks
):
    listing = make_listing(personas.agent.user)
    media = upload_photo(listing, personas.agent.user, django_capture_on_commit_callbacks)
    first_variants = stored_names(media) - {media.original.name}

    media_process(media=media)

    media.refresh_from_db()
    # S3 is not overwritten in place (file_overwrite is off): the new variants get new names
    # and the old ones are deleted.
    assert not first_variants & stored_names(media)
    assert bucket_keys(s3_client, bucket) == stored_names(media)


def assert_signed(url):
    """A presigned URL for our key, in Signature Version 4 (``X-Amz-*``)."""
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Credential"][0].startswith(f"{ACCESS_KEY}/")
    assert query["X-Amz-Signature"] and query["X-Amz-Expires"]


def download_image(url):
    response = requests.get(url, timeout=5)
    assert response.status_code == 200, response.text[:500]
    return response.headers["Content-Type"], decoded(response.content)


def test_api_photo_urls_are_signed_s3_urls_that_download_the_images(
    personas, api_for, bucket, s3_endpoint, django_capture_on_commit_callbacks
):
    listing = make_listing(personas.agent.user)
    media = upload_photo(listing, personas.agent.user, django_capture_on_commit_callbacks)

    response = api_for("agent").get(f"/api/v1/properties/{listing.pk}/media/")
    assert response.status_code == 200
    [shown] = response.json()
    for size, pixels in VARIANT_PIXELS.items():
        for fmt, (_, pillow_format, mime) in FORMATS.items():
            url = shown["urls"][size][fmt]
            assert url.startswith(f"{s3_endpoint}/{bucket}/{media.variants[size][fmt]}?")
            assert_signed(url)
            content_type, image = download_image(url)
            assert (content_type, image.format, image.size) == (mime, pillow_format, pixels)
    content_type, image = download_image(shown["urls"]["original"])
    assert (content_type, image.size) == ("image/jpeg", UPLOAD_SIZE)

    cards = api_for("agent").get("/api/v1/properties/").json()["results"]
    [card] = [card for card in cards if card["id"] == listing.pk]
    assert card["thumbnail_url"].startswith(f"{s3_endpoint}/{bucket}/")
    assert download_image(card["thumbnail_url"])[1].size == VARIANT_PIXELS["thumbnail"]


def test_the_listing_page_shows_photos_from_s3(
    personas, client_for, bucket, s3_endpoint, django_capture_on_commit_callbacks
):
    listing = make_listing(personas.agent.user)
    media = upload_photo(listing, personas.agent.user, django_capture_on_commit_callbacks)

    page = client_for("agent").get(reverse("properties:detail", args=[listing.pk]))
    assert page.status_code == 200
    gallery = re.search(r'<ul class="gallery">(.*?)</ul>', page.content.decode(), re.S).group(1)
    [(large_url, medium_url)] = [
        (html.unescape(link), html.unescape(image))
        for link, image in re.findall(r'<a href="([^"]+)".*?<img src="([^"]+)"', gallery, re.S)
    ]
    for url, size in ((medium_url, "medium"), (large_url, "large")):
        assert url.startswith(f"{s3_endpoint}/{bucket}/{media.variants[size]['jpeg']}?")
        assert_signed(url)
        content_type, image = download_image(url)
        assert (content_type, image.size) == ("image/jpeg", VARIANT_PIXELS[size])


def test_without_querystring_auth_photo_urls_are_plain_and_need_a_public_bucket(
    personas,
    api_for,
    bucket,
    s3_client,
    s3_endpoint,
    settings,
    monkeypatch,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    use_s3(settings, monkeypatch, tmp_path, s3_endpoint, bucket, AWS_QUERYSTRING_AUTH="false")
    listing = make_listing(personas.agent.user)
    media = upload_photo(listing, personas.agent.user, django_capture_on_commit_callbacks)

    [shown] = api_for("agent").get(f"/api/v1/properties/{listing.pk}/media/").json()
    url = shown["urls"]["thumbnail"]["webp"]
    assert url == f"{s3_endpoint}/{bucket}/{media.variants['thumbnail']['webp']}"
    # The objects are stored private (no ACL is set), so an unsigned URL is refused...
    assert requests.get(url, timeout=5).status_code == 403
    # ...until the bucket itself lets everyone read, as a deployment without signing must.
    public_read = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }
    s3_client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_read))
    content_type, image = download_image(url)
    assert (content_type, image.format, image.size) == (
        "image/webp",
        "WEBP",
        VARIANT_PIXELS["thumbnail"],
    )


def test_deleting_a_photo_removes_its_objects_from_the_bucket(
    personas, bucket, s3_client, django_capture_on_commit_callbacks
):
    listing = make_listing(personas.agent.user)
    kept = upload_photo(listing, personas.agent.user, django_capture_on_commit_callbacks)
    removed = upload_photo(listing, personas.agent.user, django_capture_on_commit_callbacks)
    assert bucket_keys(s3_client, bucket) == stored_names(kept) | stored_names(removed)

    with django_capture_on_commit_callbacks(execute=True):
        media_delete(media=removed, actor=personas.agent.user)

    assert bucket_keys(s3_client, bucket) == stored_names(kept)
    assert not PropertyMedia.objects.filter(pk=removed.pk).exists()


# -- Photos of the demo MLS, fetched over real HTTP (pytest-django's live server)


@pytest.fixture
def mls_provider(live_server, personas, settings, queued_tasks):
    """A provider of a small demo feed; its photo downloads are queued, and run by the test."""
    settings.MLS_DEMO_NOW = FEED_NOW
    settings.MLS_DEMO_FEEDS = {FEED: {"seed": 11, "size": 3}}
    return provider_save(
        provider=MLSProvider(
            brokerage=personas.brokerage,
            name="Demo MLS",
            endpoint=f"{live_server.url}/mls/demo/{FEED}/odata",
            page_size=10,
            allow_private_network=True,
        )
    )


def sync(provider, kind=RunKind.FULL):
    feed = ResoWebApiProvider(provider, sleep=lambda _seconds: None)
    run = provider_sync(provider=provider, kind=kind, feed=feed)
    assert run.state == RunState.SUCCEEDED, run.message
    return run


def fetch_photos(listing):
    """Run the photo download task the sync queued for each of the listing's photos."""
    for photo in listing.media.all():
        mls_photo_fetch_task.apply(kwargs={"media_id": photo.pk})
    photos = list(listing.media.all())
    assert photos and all(photo.status == MediaStatus.READY for photo in photos), [
        photo.error for photo in photos
    ]
    return photos


@pytest.mark.django_db(transaction=True)
def test_mls_photos_fetched_by_the_sync_are_stored_in_the_bucket(
    mls_provider, bucket, s3_client, s3_endpoint
):
    sync(mls_provider)
    listing = Property.objects.filter(mls_provider=mls_provider, photos_count__gt=0).first()
    assert listing.thumbnail_url == listing.media.first().media_url  # the MLS's, until fetched

    photos = fetch_photos(listing)

    objects = bucket_objects(s3_client, bucket)
    assert set(objects) == set().union(*(stored_names(photo) for photo in photos))
    # The demo MLS serves 1024×768 JPEGs: the large variant keeps that size.
    expected = {"large": (1024, 768), "medium": (800, 600), "thumbnail": (200, 150)}
    for photo in photos:
        assert photo.original.name == f"listings/{listing.pk}/{photo.uuid}/original.jpg"
        content_type, data = objects[photo.original.name]
        assert content_type == "image/jpeg"
        assert requests.get(photo.media_url, timeout=5).content == data
        assert decoded(data).size == (1024, 768)
        for size, pixels in expected.items():
            for fmt, (extension, pillow_format, mime) in FORMATS.items():
                assert (
                    photo.variants[size][fmt]
                    == f"listings/{listing.pk}/{photo.uuid}/{size}.{extension}"
                )
                content_type, data = objects[photo.variants[size][fmt]]
                image = decoded(data)
                assert (content_type, image.format, image.size) == (mime, pillow_format, pixels)

    listing.refresh_from_db()
    assert listing.thumbnail_url.startswith(f"{s3_endpoint}/{bucket}/listings/{listing.pk}/")
    assert_signed(listing.thumbnail_url)
    content_type, image = download_image(listing.thumbnail_url)
    assert (content_type, image.size) == ("image/jpeg", (200, 150))


def photo_change(feed):
    """A listing of the feed that gets a new photo set, and when."""
    for index in range(feed.size):
        history = feed.history(feed.listing_key(index))
        changes = [at for at, what, version in history.events if what == "photos" and version]
        if changes:
            return feed.listing_key(index), changes[0]
    raise AssertionError("the test feed has no listing whose photos change")


@pytest.mark.django_db(transaction=True)
def test_photos_the_mls_replaces_leave_no_objects_behind(mls_provider, bucket, s3_client, settings):
    listing_key, changed_at = photo_change(demo_feed_for(FEED))
    settings.MLS_DEMO_NOW = changed_at - timedelta(minutes=1)
    sync(mls_provider)
    listing = Property.objects.get(mls_provider=mls_provider, listing_key=listing_key)
    old_names = set().union(*(stored_names(photo) for photo in fetch_photos(listing)))
    assert bucket_keys(s3_client, bucket) == old_names

    settings.MLS_DEMO_NOW = changed_at
    sync(mls_provider, kind=RunKind.INCREMENTAL)
    new_names = set().union(*(stored_names(photo) for photo in fetch_photos(listing)))

    assert new_names and not old_names & new_names
    assert bucket_keys(s3_client, bucket) == new_names
