"""Shared by the portability tests: data and media folders in tmp, generated archives."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest

from envol.orgs.models import Organisation
from envol.orgs.services import create_organisation
from envol.testing.x_archive_factory import ArchiveSpec, XArchiveFactory


@pytest.fixture(autouse=True)
def data_dirs(settings: Any, tmp_path: Path) -> Path:
    """Uploads, kept archives, progress files and media go to this test's own folder."""
    settings.DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = tmp_path / "data" / "media"
    settings.DATA_DIR.mkdir()
    return Path(settings.DATA_DIR)


@pytest.fixture
def org(db: None) -> Organisation:
    return create_organisation("ville-a", "Ville A")


def write_archive(tmp_path: Path, spec: ArchiveSpec, form: str = "zip", name: str = "") -> Path:
    factory = XArchiveFactory(spec)
    if form == "folder":
        return factory.write_folder(tmp_path / (name or f"archive-{spec.seed}-{spec.tweets}"))
    target = tmp_path / (name or f"archive-{spec.seed}-{spec.tweets}.zip")
    factory.write_zip(target)
    return target


def replace_member(archive: Path, member: str, content: bytes) -> Path:
    """A copy of a zip archive with one member's content replaced."""
    with zipfile.ZipFile(archive) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    members[member] = content
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)
    broken = archive.with_name(f"broken-{archive.name}")
    broken.write_bytes(buffer.getvalue())
    return broken
