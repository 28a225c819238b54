"""Key rotation: re-encrypt every encrypted field with the current key, batch by batch."""

from django.apps import apps
from django.db import transaction
from django.db.models import TextField, Value
from django.db.models.functions import Cast

from compliance import encryption
from compliance.fields import EncryptedTextField


def encrypted_fields():
    """(model, field name) of every encrypted field of every installed model."""
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


def encrypted_fields_rotate(*, batch_size=500, report=None):
    """Re-encrypt values sealed by an older key with the current one; how many were changed.

    Only values under another key are touched, so an interrupted run resumes where it stopped
    when run again; each batch is its own transaction. ``report(model, field, changed)`` is
    called after each batch.
    """
    current = encryption.current_key_id()
    changed_total = 0
    for model, name in encrypted_fields():
        last_pk = None
        while True:
            rows = model._base_manager.exclude(**{name: ""}).annotate(
                _token=Cast(name, output_field=TextField())
            )
            if last_pk is not None:
                rows = rows.filter(pk__gt=last_pk)
            batch = list(rows.order_by("pk").values_list("pk", "_token")[:batch_size])
            if not batch:
                break
            last_pk = batch[-1][0]
            changed = 0
            with transaction.atomic():
                for pk, token in batch:
                    if encryption.token_key_id(token) == current:
                        continue
                    fresh = encryption.encrypt(encryption.decrypt(token))
                    # Only if unchanged since read: a value saved meanwhile is already current.
                    changed += model._base_manager.filter(
                        pk=pk, **{name: Value(token, output_field=TextField())}
                    ).update(**{name: Value(fresh, output_field=TextField())})
            changed_total += changed
            if report is not None:
                report(model, name, changed)
    return changed_total
