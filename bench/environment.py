"""The settings every benchmark runs the product with: production's, on a scratch folder."""

import os
import tempfile
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
