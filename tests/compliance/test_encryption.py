"""Field-level encryption: AES-GCM tokens, tampering, key rotation, where plaintext never goes."""

import io

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.db import connection

from clients.models import Client
from compliance import encryption
from compliance.checks import field_encryption_keys_check
from compliance.encryption import DecryptionError, decrypt, encrypt, key_generate, key_id
from compliance.models import PayoutAccount
from compliance.services.payouts import payout_account_save
from tests.testing.factories import make_client

OLD_KEY, NEW_KEY = key_generate(), key_generate()


@pytest.fixture(autouse=True)
def _one_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]


def raw(model, pk, column):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_a_value_round_trips_and_is_sealed_differently_each_time():
    first, second = encrypt("X1234567"), encrypt("X1234567")
    assert first != second
    assert decrypt(first) == decrypt(second) == "X1234567"
    version, kid, _ = first.split(":")
    assert (version, kid) == ("v1", key_id(encryption._decode_key(OLD_KEY)))
    assert "X1234567" not in first


def test_a_tampered_value_fails_loudly():
    token = encrypt("X1234567")
    version, kid, payload = token.split(":")
    flipped = payload[:-3] + ("A" if payload[-3] != "A" else "B") + payload[-2:]
    with pytest.raises(DecryptionError):
        decrypt(f"{version}:{kid}:{flipped}")
    with pytest.raises(DecryptionError):
        decrypt("not a token")


def test_the_database_holds_only_the_token(personas):
    client = make_client(personas.agent.user)
    client.government_id = "P-998877"
    client.save()
    stored = raw(Client, client.pk, "government_id")
    assert stored.startswith("v1:") and "998877" not in stored
    assert Client.objects.get(pk=client.pk).government_id == "P-998877"


def test_rotation_reencrypts_with_the_new_key_and_the_old_key_can_then_go(personas, settings):
    client = make_client(personas.agent.user)
    client.government_id = "P-998877"
    client.save()
    account = payout_account_save(
        agent=personas.agent,
        data={
            "account_holder": "Alice",
            "account_number": "12345678",
            "routing_number": "021000021",
        },
        actor=personas.agent.user,
    )
    old_id = key_id(encryption._decode_key(OLD_KEY))
    new_id = key_id(encryption._decode_key(NEW_KEY))
    # The new key goes first; the old one still opens what it sealed.
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert Client.objects.get(pk=client.pk).government_id == "P-998877"
    assert raw(Client, client.pk, "government_id").split(":")[1] == old_id

    call_command("rotate_encryption_keys", "--batch-size", "1", stdout=io.StringIO())

    assert raw(Client, client.pk, "government_id").split(":")[1] == new_id
    assert raw(PayoutAccount, account.pk, "account_number").split(":")[1] == new_id
    # Run again (resumed after a stop): nothing left to do.
    from compliance.services.encryption import encrypted_fields_rotate

    assert encrypted_fields_rotate() == 0
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert Client.objects.get(pk=client.pk).government_id == "P-998877"
    assert PayoutAccount.objects.get(pk=account.pk).routing_number == "021000021"


def test_without_the_key_a_value_is_not_guessed(personas, settings):
    client = make_client(personas.agent.user)
    client.government_id = "P-998877"
    client.save()
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(DecryptionError):
        Client.objects.get(pk=client.pk)


def test_the_audit_log_never_holds_the_plaintext(personas):
    client = make_client(personas.agent.user)
    client.government_id = "P-998877"
    client.save()
    payout_account_save(
        agent=personas.agent,
        data={
            "account_holder": "Alice",
            "account_number": "12345678",
            "routing_number": "021000021",
        },
        actor=personas.agent.user,
    )
    logged = " ".join(
        f"{entry.changes} {entry.changes_text} {entry.serialized_data}"
        for entry in LogEntry.objects.all()
    )
    assert LogEntry.objects.exists()
    for secret in ("P-998877", "12345678", "021000021"):
        assert secret not in logged


def test_production_needs_configured_keys(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    assert [error.id for error in field_encryption_keys_check(None)] == ["compliance.E001"]
    settings.FIELD_ENCRYPTION_KEYS = ["too-short"]
    assert [error.id for error in field_encryption_keys_check(None)] == ["compliance.E002"]
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    assert field_encryption_keys_check(None) == []


def test_without_configured_keys_the_installation_makes_and_keeps_its_own(settings, tmp_path):
    settings.FIELD_ENCRYPTION_KEYS = []
    settings.FIELD_ENCRYPTION_KEY_FILE = tmp_path / "field_encryption_key"
    token = encrypt("secret")
    assert settings.FIELD_ENCRYPTION_KEY_FILE.stat().st_mode & 0o777 == 0o600
    assert decrypt(token) == "secret"
    settings.FIELD_ENCRYPTION_KEY_FILE = tmp_path / "other"
    with pytest.raises(DecryptionError):
        decrypt(token)


def test_a_mask_shows_only_the_last_four():
    assert encryption.mask("12345678") == "•••• 5678"
    assert encryption.mask("123") == "••••"
    assert encryption.mask("") == ""
