"""A request over the upload limit gets the 413 page saying the limit, in French and English, and
never a 500 — through Django's test client and through the real server (uvicorn)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from django.test import Client

from envol.testing.liveserver import running_envol


@pytest.mark.django_db
def test_a_declared_body_over_the_limit_is_answered_413(settings: object) -> None:
    settings.ENVOL_UPLOAD_MAX_BYTES = 1024 * 1024  # type: ignore[attr-defined]
    response = Client().generic(
        "POST",
        "/o/ville-a/imports/upload/",
        data=b"x" * (1024 * 1024 + 70 * 1024),
        content_type="multipart/form-data; boundary=nothing",
    )
    assert response.status_code == 413
    page = response.content.decode().replace("\xa0", " ")  # filesizeformat's no-break space
    assert "1,0 Mio" in page and "Fichier trop volumineux" in page


@pytest.mark.django_db
def test_a_body_under_the_limit_goes_on_to_the_view() -> None:
    response = Client().post("/accounts/login/", {"username": "a@b.test", "password": "x"})
    assert response.status_code == 200  # the form again, not a 413


@pytest.mark.slow
def test_the_real_server_answers_413_without_a_traceback(tmp_path: Path) -> None:
    oversized = b"x" * (2 * 1024 * 1024)
    files = {"archive": ("archive.zip", oversized, "application/zip")}
    limit = {"ENVOL_UPLOAD_MAX_MB": "1"}
    # A generous ceiling for a loaded machine to migrate a fresh database and start.
    with running_envol(["serve", "--no-worker"], tmp_path, env=limit, timeout=240) as base:
        french = httpx.post(f"{base}/o/ville-a/imports/upload/", files=files, timeout=60)
        english = httpx.post(
            f"{base}/o/ville-a/imports/upload/",
            files=files,
            headers={"Accept-Language": "en"},
            timeout=60,
        )
        assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200  # still serving
    assert french.status_code == 413 and english.status_code == 413
    in_french, in_english = (reply.text.replace("\xa0", " ") for reply in (french, english))
    assert "1,0 Mio" in in_french and "Fichier trop volumineux" in in_french
    assert "1.0 MB" in in_english and "File too large" in in_english
    log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in log and " 500" not in log
