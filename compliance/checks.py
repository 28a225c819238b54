"""System checks of compliance settings."""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register(checks.Tags.security, deploy=True)
def field_encryption_keys_check(app_configs, **kwargs):
    """Production encrypts with keys it was given, never one that lives beside the data."""
    if not settings.FIELD_ENCRYPTION_KEYS:
        return [
            checks.Error(
                "FIELD_ENCRYPTION_KEYS is not set: government IDs and bank details would be "
                "encrypted with a key kept in var/ next to the database.",
                hint="Set FIELD_ENCRYPTION_KEYS from a secret store "
                "(manage.py rotate_encryption_keys --new-key prints a key).",
                id="compliance.E001",
            )
        ]
    from compliance.encryption import keyring

    try:
        keyring()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="compliance.E002")]
    return []
