import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from tests.testing.browser import browser_page  # noqa: F401 (a fixture)
from tests.testing.personas import build_personas


@pytest.fixture
def personas(db):
    return build_personas()


@pytest.fixture
def client_for(personas):
    """A browser client signed in as the named persona (not signed in for anonymous)."""

    def make(name):
        client = Client()
        user = personas.user(name)
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def api_for(personas):
    """An API client authenticated as the named persona (none for anonymous)."""

    def make(name):
        client = APIClient()
        user = personas.user(name)
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    """Each test stores files in its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media", "base_url": "/media/"},
        },
    }


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttle counters and other cached state never leak from one test to the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def queued_tasks(monkeypatch):
    """Tasks are queued for a worker, not run inline (eager): no worker runs them here."""
    from realestate.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", False)
