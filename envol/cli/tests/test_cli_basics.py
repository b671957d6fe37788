"""The `envol` command as an admin uses it: organisations, users, configuration mistakes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from envol.cli import main
from envol.orgs.models import Membership, Organisation


def run_envol(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "envol", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("ENVOL_DATABASE_URL", "mysql://db/envol", "ENVOL_DATABASE_URL: unsupported scheme"),
        ("ENVOL_UPLOAD_MAX_MB", "lots", "ENVOL_UPLOAD_MAX_MB: 'lots' is not a whole number"),
        ("ENVOL_DEBUG", "maybe", "ENVOL_DEBUG: 'maybe' is not a yes/no value"),
        ("ENVOL_ENCRYPTION_KEYS", "short", "ENVOL_ENCRYPTION_KEYS: a key is not a valid"),
    ],
)
def test_configuration_mistake_is_one_clear_line(variable: str, value: str, expected: str) -> None:
    result = run_envol("org", "list", env={variable: value})
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1


def test_production_requires_real_secrets() -> None:
    result = run_envol("org", "list", env={"ENVOL_PRODUCTION": "true", "ENVOL_SECRET_KEY": ""})
    assert result.returncode == 2
    assert "ENVOL_SECRET_KEY" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.django_db
def test_org_and_user_create() -> None:
    runner = CliRunner()
    result = runner.invoke(
        main, ["org", "create", "rennes", "--name", "Ville de Rennes", "--kind", "city"]
    )
    assert result.exit_code == 0, result.output
    assert Organisation.objects.get(slug="rennes").name == "Ville de Rennes"
    again = runner.invoke(main, ["org", "create", "rennes", "--name", "Autre"])
    assert again.exit_code == 1 and "existe déjà" in again.output
    result = runner.invoke(
        main,
        ["user", "create", "Com@Rennes.test", "--org", "rennes", "--role", "editor"],
        input="un-mot-de-passe-solide\n",
    )
    assert result.exit_code == 0, result.output
    membership = Membership.objects.get(organisation__slug="rennes")
    assert membership.role == "editor" and membership.user.username == "com@rennes.test"
    assert membership.user.check_password("un-mot-de-passe-solide")


@pytest.mark.django_db
def test_user_create_rejects_weak_password_and_unknown_org() -> None:
    runner = CliRunner()
    runner.invoke(main, ["org", "create", "rennes", "--name", "Ville de Rennes"])
    weak = runner.invoke(main, ["user", "create", "a@b.test", "--org", "rennes"], input="123\n")
    assert weak.exit_code == 1 and "mot de passe" in weak.output.lower()
    unknown = runner.invoke(
        main, ["user", "create", "a@b.test", "--org", "nowhere"], input="un-mot-de-passe-solide\n"
    )
    assert unknown.exit_code == 1 and "envol org create nowhere" in unknown.output
