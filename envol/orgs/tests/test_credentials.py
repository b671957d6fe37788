"""Credentials are encrypted at rest, rotate with the keys, and never reach the logs."""

from __future__ import annotations

import io
import logging
import sqlite3
import subprocess

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from envol.orgs import crypto
from envol.orgs.models import ConnectedAccount, Network
from envol.orgs.services import create_organisation

SECRET = "abcd-efgh-ijkl-mnop"  # the shape of a Bluesky app password
TOKEN = "mastodon-access-token-Zq8rT2"


def _connect() -> ConnectedAccount:
    org = create_organisation("ville-a", "Ville A")
    account = ConnectedAccount(organisation=org, network=Network.BLUESKY, handle="ville-a.test")
    account.set_credentials({"app_password": SECRET, "access_token": TOKEN})
    account.save()
    return account


def _database_dump() -> str:
    """The whole database as text, as an attacker holding a backup would see it."""
    if connection.vendor == "sqlite":
        raw = connection.connection
        assert isinstance(raw, sqlite3.Connection)
        return "\n".join(raw.iterdump())
    params = connection.get_connection_params()
    cmd = [
        "pg_dump",
        "-h",
        params["host"],
        "-p",
        str(params["port"]),
        "-U",
        params["user"],
        connection.settings_dict["NAME"],
    ]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


@pytest.mark.django_db(transaction=True)
def test_database_dump_holds_no_plaintext_credential() -> None:
    account = _connect()
    dump = _database_dump()
    assert "ville-a.test" in dump  # the dump is real and complete
    assert SECRET not in dump and TOKEN not in dump
    account.refresh_from_db()
    assert account.get_credentials() == {"app_password": SECRET, "access_token": TOKEN}


@pytest.mark.django_db
def test_keys_rotate_old_key_still_decrypts() -> None:
    account = _connect()
    new_key = Fernet.generate_key().decode()
    with override_settings(ENCRYPTION_KEYS=[new_key, *settings.ENCRYPTION_KEYS]):
        assert account.get_credentials()["app_password"] == SECRET
        call_command("rotate_encryption_keys", stdout=io.StringIO())
        account.refresh_from_db()
    with override_settings(ENCRYPTION_KEYS=[new_key]):
        assert account.get_credentials()["app_password"] == SECRET


@pytest.mark.django_db
def test_lost_key_gives_a_clear_error() -> None:
    account = _connect()
    wrong_key = override_settings(ENCRYPTION_KEYS=[Fernet.generate_key().decode()])
    with wrong_key, pytest.raises(crypto.DecryptionError, match="ENVOL_ENCRYPTION_KEYS"):
        account.get_credentials()


def test_log_filter_redacts_secrets(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("envol.test")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(crypto.RedactSecretsFilter())
    logger.addHandler(handler)
    try:
        logger.warning("login with password=%s and Authorization: Bearer %s", SECRET, TOKEN)
        logger.warning(
            "session {'accessJwt': 'eyJhbGciOiJIUzI1.eyJzdWIiOiJkaWQ6cGxj.c2lnbmF0dXJl'}"
        )
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert SECRET not in out and TOKEN not in out and "c2lnbmF0dXJl" not in out
    assert "[redacted]" in out
