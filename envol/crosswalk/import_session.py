"""The database settings of one bulk import, and its checkpoints on SQLite.

Why: in WAL mode every committed page is written twice, to the log and then to the database
by a checkpoint, which SQLite runs inside the commit that crosses its threshold. An import
commits a chunk at a time; left to itself, each commit would then copy the log while the
reader waits. Here the import's connection does not checkpoint; a thread with its own
connection copies each committed chunk while the next one merges (SQLite works without the
GIL), and the last checkpoint truncates the log so no large file is left behind.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from types import TracebackType
from typing import Any

from django.db import OperationalError, connection

SQLITE_IMPORT_CACHE_KIB = 262_144  # a merge walks a large index: keep it in memory
BUSY_MS = 30_000


class ImportSession:
    """`with ImportSession() as session:` … `session.committed()` after each chunk."""

    def __init__(self) -> None:
        # Inside a caller's transaction (tests) chunks are not committed: nothing to copy.
        self._sqlite = connection.vendor == "sqlite" and not connection.in_atomic_block
        self._saved: dict[str, Any] = {}
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def __enter__(self) -> ImportSession:
        if self._sqlite:
            wanted = {"cache_size": -SQLITE_IMPORT_CACHE_KIB, "wal_autocheckpoint": 0}
            with connection.cursor() as cursor:
                for name, value in wanted.items():
                    cursor.execute(f"PRAGMA {name}")
                    self._saved[name] = int(cursor.fetchone()[0])
                    cursor.execute(f"PRAGMA {name}={value}")
            self._thread = threading.Thread(
                target=self._checkpoints, name="envol-checkpoint", daemon=True
            )
            self._thread.start()
        return self

    def committed(self) -> None:
        """A chunk was committed: copy it into the database file in the background."""
        self._wake.set()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._thread is None:
            return
        self._stopping = True
        self._wake.set()
        self._thread.join()
        with connection.cursor() as cursor:
            for name, value in self._saved.items():
                cursor.execute(f"PRAGMA {name}={value}")
            # What is left, and the log back to nothing (waits for readers, up to BUSY_MS;
            # if some reader still holds it, the next commits checkpoint as usual).
            with contextlib.suppress(OperationalError):
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _checkpoints(self) -> None:
        db = sqlite3.connect(connection.settings_dict["NAME"], timeout=BUSY_MS / 1000)
        try:
            while not self._stopping:
                self._wake.wait()
                self._wake.clear()
                if not self._stopping:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            db.close()
