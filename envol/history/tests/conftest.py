"""Shared by the history tests: data folders in tmp, an organisation with an imported archive."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import translation

from envol.orgs.models import Organisation
from envol.orgs.services import create_organisation
from envol.portability.models import ArchiveImport
from envol.portability.tests.conftest import data_dirs  # noqa: F401  (autouse: data in tmp)
from envol.testing.x_archive_factory import ArchiveSpec, XArchiveFactory

SPEC = ArchiveSpec(seed=18, tweets=120, following=3, followers=3)


@pytest.fixture(autouse=True)
def french() -> Iterator[None]:
    """Messages in French, whatever an earlier test (the CLI's) left active."""
    with translation.override("fr"):
        yield


@pytest.fixture
def org(db: None) -> Organisation:
    return create_organisation("ville-a", "Ville A <« & »>")


def import_generated(
    org: Organisation, tmp_path: Path, spec: ArchiveSpec = SPEC, *, keep_media: bool = True
) -> ArchiveImport:
    from envol.portability.services import import_archive

    archive = tmp_path / f"archive-{spec.seed}-{spec.tweets}.zip"
    XArchiveFactory(spec).write_zip(archive)
    return import_archive(org, archive, keep_media=keep_media)


@pytest.fixture
def imported(org: Organisation, tmp_path: Path) -> ArchiveImport:
    return import_generated(org, tmp_path)
