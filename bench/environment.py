"""The settings every benchmark runs the product with: production's, on a scratch folder."""

import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path


def production_like(prefix):
    """Environment for a production-like run (DEBUG off) that a test client can call."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "realestate.settings")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", f"{prefix}-only-" + "k" * 40)
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"
    os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix=f"crm-{prefix}-"))
    # Plain HTTP; no collectstatic manifest in a scratch VAR_DIR.
    for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        os.environ[name] = "false"
    os.environ["STATICFILES_BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # whitenoise warns about a missing STATIC_ROOT on every start.
    (Path(os.environ["VAR_DIR"]) / "staticfiles").mkdir(parents=True, exist_ok=True)


@contextmanager
def own_database(name, *, keep=False):
    """A database of the benchmark's own, built by the migrations and dropped afterwards.

    Named apart from the test suite's (``test_<name>``), so a test run against the same server
    never meets it. Yields the database's name.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.stdout.write("Note: the targets are meant for PostgreSQL (set DATABASE_URL).\n")
    connection.settings_dict["TEST"]["NAME"] = name
    created = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield created
    finally:
        if not keep:
            connection.creation.destroy_test_db(created, verbosity=0)


def listings_seed(rows, brokerage):
    """The brokerage's own listings from dicts of Property fields, in batches; then statistics."""
    from django.db import connection

    from properties.models import Property

    batch = []
    for row in rows:
        batch.append(Property(brokerage=brokerage, source="local", **row))
        if len(batch) == 5000:
            Property.objects.bulk_create(batch)
            batch = []
    Property.objects.bulk_create(batch)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE properties_property")
