"""Field-level encryption: AES-GCM with keys from the environment, rotated without downtime.

A value is stored as ``v1:<key id>:<base64(nonce + ciphertext)>``: a random 96-bit nonce per
value, the key id naming which of ``settings.FIELD_ENCRYPTION_KEYS`` sealed it. The first key
encrypts; every key decrypts, so a new key is put first, ``rotate_encryption_keys`` re-encrypts
the rows, and the old key is then removed. Without configured keys (a laptop, a one-machine
install) a random key is made once for the installation in var/, like SECRET_KEY.
"""

import base64
import binascii
import hashlib
import os
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

VERSION = "v1"
NONCE_BYTES = 12
KEY_BYTES = 32


class DecryptionError(Exception):
    """A stored value that no configured key opens: tampered with, or its key was removed."""


def key_id(key: bytes) -> str:
    """A short public name of a key: the start of its SHA-256 (the key is not recoverable)."""
    return hashlib.sha256(key).hexdigest()[:12]


def key_generate() -> str:
    """A new random key as FIELD_ENCRYPTION_KEYS takes it (URL-safe base64 of 32 bytes)."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode()


def _decode_key(text):
    try:
        key = base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise ImproperlyConfigured(
            "Each FIELD_ENCRYPTION_KEYS entry must be URL-safe base64 of 32 random bytes "
            "(python manage.py rotate_encryption_keys --new-key prints one)."
        )
    return key


def _installation_key(path):
    """The key made once for this installation when none is configured (readable by us only)."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = key_generate()
        try:
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
                file.write(key)
        except FileExistsError:
            return path.read_text().strip()  # another process made it first
        return key


@lru_cache(maxsize=8)
def _keyring(configured: tuple, key_file: str):
    texts = configured or (_installation_key(Path(key_file)),)
    keys = [_decode_key(text) for text in texts]
    return keys[0], {key_id(key): key for key in keys}


def keyring():
    """(the key that encrypts, {key id: key} of every key that decrypts)."""
    return _keyring(tuple(settings.FIELD_ENCRYPTION_KEYS), str(settings.FIELD_ENCRYPTION_KEY_FILE))


def current_key_id() -> str:
    return key_id(keyring()[0])


def encrypt(plaintext: str) -> str:
    """The stored token of ``plaintext``, sealed with the current key and a fresh nonce."""
    key, _ = keyring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), VERSION.encode())
    payload = base64.urlsafe_b64encode(nonce + sealed).decode()
    return f"{VERSION}:{key_id(key)}:{payload}"


def token_key_id(token: str) -> str | None:
    """Which key sealed a stored token; ``None`` when it is not a token of ours."""
    parts = token.split(":", 2)
    if len(parts) != 3 or parts[0] != VERSION:
        return None
    return parts[1]


def decrypt(token: str) -> str:
    """The plaintext of a stored token; raises :class:`DecryptionError` rather than guess."""
    parts = token.split(":", 2)
    if len(parts) != 3 or parts[0] != VERSION:
        raise DecryptionError("The value is not an encrypted token.")
    _, keys = keyring()
    key = keys.get(parts[1])
    if key is None:
        raise DecryptionError(f"No configured key has the id {parts[1]}.")
    try:
        raw = base64.urlsafe_b64decode(parts[2].encode())
        plaintext = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], VERSION.encode())
    except (InvalidTag, binascii.Error, ValueError):
        raise DecryptionError("The encrypted value was altered or is damaged.") from None
    return plaintext.decode()


def mask(value: str) -> str:
    """What a person allowed to know a value exists is shown of it: "•••• 1234"."""
    if not value:
        return ""
    return f"•••• {value[-4:]}" if len(value) > 4 else "••••"
