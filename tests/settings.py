"""Test settings: the product's settings with fast, isolated services."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("SECRET_KEY", "test-secret-key-used-only-by-the-test-suite-0123456789abcdef")
if "VAR_DIR" not in os.environ:
    # A scratch folder for this run's files, gone when the run ends.
    os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="crm-tests-")
    atexit.register(shutil.rmtree, os.environ["VAR_DIR"], ignore_errors=True)

from realestate.settings import *  # noqa: E402,F403
from realestate.settings import STATIC_ROOT, STORAGES, VAR_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
MEDIA_ROOT = VAR_DIR / "media"
LOGGING = {"version": 1, "disable_existing_loggers": False}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Threads that serve tests (live server, Celery worker) must not keep connections open.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
