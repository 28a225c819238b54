from django.db import models


class ProviderKind(models.TextChoices):
    RESO_WEB_API = "reso_web_api", "RESO Web API (OData)"
    CSV = "csv", "CSV file"
    RETS = "rets", "RETS (legacy)"


class AuthKind(models.TextChoices):
    NONE = "none", "None"
    BEARER = "bearer", "Bearer token"
    OAUTH2 = "oauth2", "OAuth2 client credentials"
    LOGIN = "login", "Username and password (RETS login)"


class RunKind(models.TextChoices):
    FULL = "full", "Full"
    INCREMENTAL = "incremental", "Incremental"
    RECONCILE = "reconcile", "Reconcile"


class RunState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINISHED_STATES = (RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED)
