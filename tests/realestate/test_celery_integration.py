"""Photo processing through a real Celery worker and broker.

The broker-less filesystem transport (the laptop default) is always tested; Redis is tested
when CELERY_TEST_BROKER_URL names one (.ci/run sets it when Redis is reachable).
"""

import os

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from django.core.files.uploadedfile import SimpleUploadedFile

from properties.choices import MediaStatus
from properties.models import PropertyMedia
from properties.tasks import media_process_task
from realestate.celery import app as product_app
from tests.testing.factories import image_bytes, make_listing

pytestmark = [pytest.mark.celery_broker, pytest.mark.django_db(transaction=True)]

REDIS_URL = os.environ.get("CELERY_TEST_BROKER_URL", "")


def filesystem_broker(tmp_path):
    folder = tmp_path / "queue"
    folder.mkdir()
    (tmp_path / "control").mkdir()
    return {
        "broker_url": "filesystem://",
        "broker_transport_options": {
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "control_folder": str(tmp_path / "control"),
            "store_processed": False,
        },
        "result_backend": f"file://{tmp_path}",
    }


def redis_broker(tmp_path):
    return {"broker_url": REDIS_URL, "result_backend": REDIS_URL, "broker_transport_options": {}}


@pytest.fixture(
    params=[
        pytest.param(filesystem_broker, id="filesystem"),
        pytest.param(
            redis_broker,
            id="redis",
            marks=pytest.mark.skipif(not REDIS_URL, reason="CELERY_TEST_BROKER_URL is not set"),
        ),
    ]
)
def worker_app(request, tmp_path):
    """The product's Celery configuration on a real broker, served by a real worker thread."""
    celery_app = Celery("realestate-test", set_as_current=False)
    celery_app.config_from_object("django.conf:settings", namespace="CELERY")
    celery_app.conf.update(
        task_always_eager=False, task_ignore_result=False, **request.param(tmp_path)
    )
    try:
        with start_worker(
            celery_app, pool="solo", queues=["default", "photos"], perform_ping_check=False
        ):
            yield celery_app
    finally:
        celery_app.close()
        # The worker made the test app the current one: the tests after this one send the
        # product's tasks through the product's app.
        product_app.set_current()


def test_a_worker_makes_the_photo_variants_from_the_queue(worker_app, personas, settings):
    listing = make_listing(personas.agent.user)
    media = PropertyMedia(property=listing)
    media.original.save(
        "original.jpg",
        SimpleUploadedFile("a.jpg", image_bytes("JPEG", (1600, 1200))),
        save=True,
    )
    task = worker_app.tasks[media_process_task.name]
    result = task.apply_async(kwargs={"media_id": media.pk}, queue="photos")
    result.get(timeout=60)
    media.refresh_from_db()
    assert media.status == MediaStatus.READY
    assert (settings.MEDIA_ROOT / media.variants["medium"]["jpeg"]).exists()
