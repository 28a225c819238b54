"""Model fields whose values are encrypted at rest (see :mod:`compliance.encryption`)."""

from django.db import models

from compliance import encryption


class EncryptedTextField(models.TextField):
    """Text stored AES-GCM encrypted; Python code sees the plaintext, the database a token.

    It cannot be searched or sorted on. Keep it out of lists, logs and the audit log's change
    history (register the model with ``exclude_fields``); show :func:`encryption.mask` of it.
    Declare it ``editable=False`` so that no model form shows the plaintext.
    """

    description = "Encrypted text"

    def from_db_value(self, value, expression, connection):
        if not value:
            return ""
        return encryption.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return ""
        return encryption.encrypt(value)
