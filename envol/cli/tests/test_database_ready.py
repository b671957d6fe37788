"""A command run against a new, missing or unmigrated database: it works (the embedded SQLite is
migrated on first use) or prints one line saying what to do, never a Django traceback."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection


def envol(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    child = {k: v for k, v in os.environ.items() if k != "ENVOL_DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, "-m", "envol", *args],
        env={**child, "ENVOL_LANGUAGE": "fr", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    done.stderr = done.stderr.replace("\u00a0", " ")  # French puts no-break spaces before ":"
    return done


def test_org_create_on_a_new_data_directory_just_works(tmp_path: Path) -> None:
    done = envol(
        "org", "create", "ville-neuve", "--name", "Ville Neuve", ENVOL_DATA_DIR=str(tmp_path)
    )
    assert done.returncode == 0, done.stderr
    assert "ville-neuve" in done.stdout
    assert done.stderr.strip().splitlines() == [
        "Préparation de la base de données (première utilisation ou nouvelle version d’envol)…"
    ]
    again = envol("org", "list", ENVOL_DATA_DIR=str(tmp_path))
    assert again.returncode == 0 and "ville-neuve" in again.stdout and again.stderr == ""


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    done = envol(
        "org",
        "list",
        ENVOL_DATA_DIR=str(tmp_path),
        ENVOL_DATABASE_URL="postgresql://envol:secret-password@127.0.0.1:1/envol",
    )
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("Erreur : Base de données injoignable (envol@127.0.0.1:1)")
    assert "secret-password" not in done.stderr and "Traceback" not in done.stderr


@pytest.mark.django_db
def test_an_unmigrated_postgresql_database_says_what_to_run(tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL phase (pytest --db=postgres)")
    import psycopg

    settings = connection.settings_dict
    name = f"envol_empty_{secrets.token_hex(4)}"
    server = f"host={settings['HOST']} port={settings['PORT']} user={settings['USER']}"
    with psycopg.connect(f"{server} dbname=postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{name}"
    done = envol("org", "list", ENVOL_DATA_DIR=str(tmp_path), ENVOL_DATABASE_URL=url)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Erreur : La base de données n’est pas à jour : lancez d’abord `envol manage migrate`."
    ]
