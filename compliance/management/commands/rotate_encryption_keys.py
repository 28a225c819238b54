"""Re-encrypt every encrypted field with the current (first) FIELD_ENCRYPTION_KEYS key."""

from django.core.management.base import BaseCommand

from compliance.encryption import current_key_id, key_generate
from compliance.services.encryption import encrypted_fields_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt government IDs and bank details with the first key of "
        "FIELD_ENCRYPTION_KEYS. Rotate: put a new key first, keep the old ones after it, run "
        "this, then remove the old keys. Safe to stop and run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--new-key", action="store_true", help="Print a new random key and stop."
        )

    def handle(self, *args, batch_size, new_key, **options):
        if new_key:
            self.stdout.write(key_generate())
            return

        def report(model, field, changed):
            if changed:
                self.stdout.write(f"{model._meta.label}.{field}: {changed} re-encrypted")

        total = encrypted_fields_rotate(batch_size=batch_size, report=report)
        self.stdout.write(
            self.style.SUCCESS(f"{total} values re-encrypted with key {current_key_id()}.")
        )
