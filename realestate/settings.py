"""Settings for the real-estate CRM, read from the environment (django-environ).

Every value has an embedded default that runs the product on one laptop: SQLite under var/,
a broker-less Celery transport and local file storage. Production sets the environment.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)


def _installation_secret_key(path):
    """A random key made once for this installation and kept in var/ (readable by us only).

    Production sets SECRET_KEY; this keeps a laptop or a one-machine install secure without
    it, and no key is ever written in the code.
    """
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        from django.core.management.utils import get_random_secret_key

        path.parent.mkdir(parents=True, exist_ok=True)
        key = get_random_secret_key()
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
            file.write(key)
        return key


SECRET_KEY = env.str("SECRET_KEY", default="") or _installation_secret_key(VAR_DIR / "secret_key")

# Where this site answers; the demo MLS feed gives its photo and page URLs from it.
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "guardian",
    "auditlog",
    "django_celery_beat",
    "axes",
    "csp",
    "agents",
    "properties",
    "mls",
    "clients",
    "transactions",
    "compliance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "realestate.middleware.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "realestate.middleware.BearerTokenUserMiddleware",
    "realestate.middleware.SessionIdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "realestate.middleware.AuditlogMiddleware",
    "compliance.middleware.PermissionDeniedEventMiddleware",
    # Last: it turns a login that django-axes refused into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "realestate.urls"
WSGI_APPLICATION = "realestate.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "realestate.context_processors.actor",
                "realestate.context_processors.nav",
            ],
            "builtins": ["realestate.formatting", "realestate.links"],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL says otherwise.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share the file: wait for locks and take them up front.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

AUTHENTICATION_BACKENDS = [
    # First: a locked-out username + address is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
GUARDIAN_ANONYMOUS_USER_NAME = None
ANONYMOUS_USER_NAME = None

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="America/New_York")
USE_I18N = True
USE_TZ = True

# Static files are served by whitenoise; uploads go to local files or S3.
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = VAR_DIR / "media"
# On one machine without S3 or a web server in front, the app serves uploads itself.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=DEBUG)

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            "custom_domain": env.str("AWS_S3_CUSTOM_DOMAIN", default=None),
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": env.bool("AWS_QUERYSTRING_AUTH", default=True),
            # Signed URLs in Signature Version 4 everywhere (botocore's default for some
            # regions is the retired version 2).
            "signature_version": env.str("AWS_S3_SIGNATURE_VERSION", default="s3v4"),
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

# Uploads: a listing photo may be large, but nothing bigger than this is read.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
LISTING_PHOTO_MAX_BYTES = env.int("LISTING_PHOTO_MAX_BYTES", default=20 * 1024 * 1024)
LISTING_PHOTO_MAX_PIXELS = env.int("LISTING_PHOTO_MAX_PIXELS", default=50_000_000)
# How long before a showing its agent and client are reminded of it.
SHOWING_REMINDER_MINUTES = env.int("SHOWING_REMINDER_MINUTES", default=60)
# Deal documents (contracts, disclosures): PDF or images up to this size, in private storage.
DEAL_DOCUMENT_MAX_BYTES = env.int("DEAL_DOCUMENT_MAX_BYTES", default=25 * 1024 * 1024)
# Outgoing webhooks go to public internet addresses only; a development setup that receives
# them on its own machine or network turns this on.
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", default=False)

# Email (listing alerts, reminders): SMTP in production, e.g.
# EMAIL_URL=smtp+tls://user:password@smtp.example.com:587; printed to the console on a laptop.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="crm@localhost")

# Text messages of outreach campaigns: an HTTP provider (POST JSON to SMS_API_URL with the
# bearer SMS_API_TOKEN); without SMS_API_URL texts are printed to the console (development).
SMS_API_URL = env.str("SMS_API_URL", default="")
SMS_API_TOKEN = env.str("SMS_API_TOKEN", default="")
SMS_FROM_NUMBER = env.str("SMS_FROM_NUMBER", default="")
SMS_API_TIMEOUT = env.float("SMS_API_TIMEOUT", default=10.0)

# Celery: a broker-less filesystem transport on a laptop, Redis or RabbitMQ in production.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery"
    for _folder in ("queue", "processed", "control"):
        (_queue_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "polling_interval": 0.1,
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"properties.tasks.media_process_task": {"queue": "photos"}}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# Reverse proxies in front of the app (they set X-Forwarded-For and X-Forwarded-Proto).
NUM_PROXIES = env.int("NUM_PROXIES", default=0)

# API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "realestate.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "realestate.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "realestate.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/min"),
        "user": env.str("API_THROTTLE_USER", default="1200/min"),
        # Leads from brokerage websites: per address for web forms, per key for servers.
        "lead_form": env.str("LEAD_THROTTLE_FORM", default="10/hour"),
        "lead_key": env.str("LEAD_THROTTLE_KEY", default="600/hour"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Proxies in front of the app: throttling trusts X-Forwarded-For only that far.
    "NUM_PROXIES": NUM_PROXIES,
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=14)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Real-estate CRM API",
    "DESCRIPTION": "Listings, agents and the brokerage's CRM data for the mobile apps.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Fields of the same name with different choices: stage (client, deal), role (agent, party).
    "ENUM_NAME_OVERRIDES": {
        "ClientStageEnum": "clients.choices.Stage",
        "DealStageEnum": "transactions.choices.DealStage",
        "AgentRoleEnum": "agents.choices.Role",
        "PartyRoleEnum": "transactions.choices.PartyRole",
        "StateEnum": "mls.choices.RunState",
        "FairHousingScanStateEnum": "compliance.models.fair_housing.ScanState",
        "WebhookDeliveryStatusEnum": "agents.choices.WebhookDeliveryStatus",
        "EventNameEnum": "agents.choices.EventName",
        "IncomingWebhookKindEnum": "agents.choices.IncomingWebhookKind",
        "ChannelEnum": "clients.choices.Channel",
        "OutreachChannelEnum": "clients.choices.OutreachChannel",
    },
}

# Security: strict unless DEBUG; every value can be overridden from the environment.
if NUM_PROXIES:
    # Only a proxy we run may tell us the request was https; without one the header is a lie.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Sessions end SESSION_MAX_HOURS after sign-in, or after SESSION_IDLE_MINUTES without a request.
SESSION_COOKIE_AGE = env.int("SESSION_MAX_HOURS", default=8) * 3600
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_MINUTES", default=60) * 60

# Brute force (django-axes): a username tried from one address is locked after 5 failures,
# for a cool-off that doubles with every further failure (realestate.security).
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = "realestate.security.lockout_cool_off"
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
AXES_USE_ATTEMPT_EXPIRATION = True
AXES_RESET_ON_SUCCESS = True
# The client's address by the NUM_PROXIES rule that API throttling uses (X-Forwarded-For
# trusted only as far as our own proxies), so lockouts, throttles and the audit trail agree.
AXES_CLIENT_IP_CALLABLE = "realestate.security.client_ip"
AXES_LOCKOUT_CALLABLE = "realestate.security.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False

# Content-Security-Policy (django-csp): everything is served from this site. Scripts and style
# elements carry the request's nonce; style attributes (calendar positions) are allowed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-attr": ["'unsafe-inline'"],
        # Listing photos may come from the S3 bucket's domain or an MLS's https address.
        "img-src": [SELF, "data:", "blob:", "https:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": ["'none'"],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": ["'none'"],
    }
}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Field-level encryption (government IDs, bank details): URL-safe base64 keys of 32 bytes, the
# first encrypts and all decrypt (see compliance.encryption for rotation). Production sets
# them (`check --deploy` insists); otherwise a random key made for this installation in var/.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
FIELD_ENCRYPTION_KEY_FILE = VAR_DIR / "field_encryption_key"
