"""The embedded database is created as the benchmarks measured it: pages of 32 KiB, WAL,
synchronous NORMAL (settings.py says why)."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_a_new_embedded_database_has_large_pages_and_a_write_ahead_log() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the embedded database only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA page_size")
        page_size = cursor.fetchone()[0]
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous")
        synchronous = cursor.fetchone()[0]
    assert (page_size, journal, synchronous) == (32768, "wal", 1)
