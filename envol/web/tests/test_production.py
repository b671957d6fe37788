"""Production mode: no console email unless chosen, HSTS, a strict Content-Security-Policy with
the request's nonce, and a data directory only its owner can read. Settings are read once per
process, so each case runs envol in a child process with its own environment."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from csp.constants import NONCE, SELF
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path

PRODUCTION = {
    "ENVOL_PRODUCTION": "true",
    "ENVOL_SECRET_KEY": "a-long-production-secret-key-for-the-test-only-0123456789",
    "ENVOL_ENCRYPTION_KEYS": "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC0=",
    "ENVOL_ALLOWED_HOSTS": "ville.example",
}

HEADERS_OF_A_SECURE_PAGE = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
response = Client(HTTP_HOST="ville.example").get("/accounts/login/", secure=True)
print(json.dumps({"status": response.status_code, **dict(response.headers)}))
"""


def envol(args: list[str], data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("ENVOL_")}
    full |= {"ENVOL_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "envol.settings", **env}
    return subprocess.run(
        [sys.executable, *args], env=full, capture_output=True, text=True, timeout=300, check=False
    )


def test_production_refuses_the_console_email_backend_unless_chosen(tmp_path: Path) -> None:
    refused = envol(["-m", "envol", "manage", "check"], tmp_path, **PRODUCTION)
    assert refused.returncode == 2
    (line,) = refused.stderr.strip().splitlines()
    assert "ENVOL_EMAIL_BACKEND" in line and "password-reset" in line
    chosen = envol(
        ["-m", "envol", "manage", "check"],
        tmp_path,
        ENVOL_EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        **PRODUCTION,
    )
    assert chosen.returncode == 0, chosen.stderr


@pytest.mark.slow
def test_production_sends_hsts_and_a_strict_csp(tmp_path: Path) -> None:
    done = envol(
        ["-c", HEADERS_OF_A_SECURE_PAGE],
        tmp_path,
        ENVOL_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        **PRODUCTION,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    headers = json.loads(done.stdout.strip().splitlines()[-1])
    assert headers["status"] == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000"
    policy = dict(
        (part.split(" ")[0], part.split(" ")[1:])
        for part in headers["Content-Security-Policy"].split("; ")
    )
    assert policy["default-src"] == ["'self'"] and policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]


def test_a_bad_csp_value_is_one_line(tmp_path: Path) -> None:
    done = envol(["-m", "envol", "manage", "check"], tmp_path, ENVOL_CSP="sometimes")
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "ENVOL_CSP" in done.stderr


def test_the_data_directory_and_database_are_made_private_at_start(tmp_path: Path) -> None:
    data = tmp_path / "var"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    database = data / "envol.sqlite3"
    database.touch()
    database.chmod(0o644)
    done = envol(["-m", "envol", "manage", "check"], data)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert f"Restricted {data} from 755 to 700" in done.stderr
    assert f"Restricted {database} from 644 to 600" in done.stderr


def test_a_new_data_directory_is_created_private(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    assert envol(["-m", "envol", "manage", "migrate", "-v", "0"], data).returncode == 0
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in ("envol.sqlite3", "secret_key", "encryption_keys"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
    for extra in data.glob("envol.sqlite3-*"):
        assert stat.S_IMODE(extra.stat().st_mode) == 0o600, extra


def inline_script(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f'<script nonce="{request.csp_nonce}">1</script>')  # type: ignore[attr-defined]


urlpatterns = [path("inline/", inline_script)]


@override_settings(
    ROOT_URLCONF=__name__,
    CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": [SELF], "script-src": [SELF, NONCE]}},
)
def test_templates_get_the_nonce_as_request_csp_nonce() -> None:
    response = Client().get("/inline/")
    nonce = response.content.decode().split('nonce="')[1].split('"')[0]
    assert f"'nonce-{nonce}'" in response.headers["Content-Security-Policy"]
