"""The import summary as people read it: data types in words, a warning when the archive is
another X account's, numbers and dates in the reader's language; the upload page shows no
error before anything is sent."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

from envol.orgs.models import Role
from envol.orgs.services import add_member, create_organisation
from envol.portability import summary
from envol.portability.services import import_archive
from envol.portability.tests.conftest import write_archive
from envol.testing.x_archive_factory import ArchiveSpec
from envol.web.templatetags.envol_format import count

PASSWORD = "pw-summary-123456"


def test_data_types_read_as_words() -> None:
    with translation.override("fr"):
        assert summary.data_type_name("ad_impressions").startswith("impressions publicitaires")
        assert summary.data_type_name("some_new_type") == "some new type"
    with translation.override("en"):
        assert summary.data_type_name("ad_impressions").startswith("ad impressions")


def test_numbers_follow_the_language() -> None:
    with translation.override("en"):
        assert count(1234567) == "1,234,567"
    with translation.override("fr"):
        assert count(1234567) == "1\xa0234\xa0567"
    assert count(None) == ""


@pytest.mark.django_db
def test_another_accounts_archive_is_announced_before_and_after(tmp_path: Path) -> None:
    org = create_organisation("ville-a", "Ville A")
    add_member(org, "com@a.test", Role.EDITOR, password=PASSWORD)
    client = Client()
    client.login(username="com@a.test", password=PASSWORD)
    upload = client.get("/o/ville-a/imports/upload/").content.decode()
    assert 'id="imported-accounts"' not in upload
    assert 'id="id_archive-errors" hidden' in upload  # no error shown before sending
    first = import_archive(org, write_archive(tmp_path, ArchiveSpec(seed=1, tweets=5)))
    assert (
        'id="another-account"' not in client.get(f"/o/ville-a/imports/{first.pk}/").content.decode()
    )
    upload = client.get("/o/ville-a/imports/upload/").content.decode()
    assert "a déjà l'archive de @ville_1" in upload
    second = import_archive(org, write_archive(tmp_path, ArchiveSpec(seed=2, tweets=5)))
    detail = client.get(f"/o/ville-a/imports/{second.pk}/").content.decode()
    assert 'id="another-account"' in detail and "@ville_2" in detail and "@ville_1" in detail
    english = client.get(
        f"/o/ville-a/imports/{second.pk}/", headers={"accept-language": "en"}
    ).content.decode()
    assert "impressions" not in english or "ad impressions" in english
    assert "like is not imported" not in english
