"""Credentials encrypted at rest (MultiFernet keyed from settings) and kept out of logs.

The first key in ENCRYPTION_KEYS encrypts; every key decrypts, so an admin rotates keys by
prepending a new one and running `envol manage rotate_encryption_keys`.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class DecryptionError(Exception):
    """A stored secret cannot be read with the configured keys."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError(
            "A stored credential cannot be decrypted: ENVOL_ENCRYPTION_KEYS no longer holds the "
            "key it was encrypted with. Put the old key back (after the new one) or reconnect "
            "the account."
        ) from None


def rotate(token: str) -> str:
    """Re-encrypt with the newest key."""
    return _current().rotate(token.encode()).decode()


_SECRET_PATTERNS = [
    re.compile(r"(?i)(authorization:\s*(?:bearer|dpop)\s+)[^\s'\"]+"),
    re.compile(
        r"(?i)((?:password|app_password|access_?jwt|refresh_?jwt|access_token|"
        r"refresh_token|client_secret|token)['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"
    ),
    re.compile(r"\b([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})\b"),  # Bluesky app passwords
    re.compile(r"(eyJ[\w-]{8,}\.[\w-]{8,}\.)[\w-]+"),  # JWTs
]


def redact(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "[redacted]", text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Scrubs tokens and passwords from every log record, whatever logged them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
