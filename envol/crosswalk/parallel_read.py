"""Reading a large dataset file in a child process while this one writes it to the database.

Why a process: checking millions of rows is Python work that holds the GIL, and so is binding
rows for the database; in one process they take turns (a thread beside `executemany` even
slows both down). A child reads and checks the file — the same `read_dataset` — and hands
over batches of ready links, which cost far less to unpickle than to build.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from envol.crosswalk.dataset import DatasetError, Rejections, read_dataset
from envol.crosswalk.store import StagedLink

BATCHES_AHEAD = 8  # bounds the memory the child may fill ahead of the writer
POLL_SECONDS = 1.0


def _read_into(path: str, default_confidence: float, out: Any) -> None:
    """The child: each message is (links, new rejections, rejected so far, byte position)."""
    rejections = Rejections()
    position = 0
    kept = 0

    def note(done: int) -> None:
        nonlocal position
        position = done

    try:
        for links in read_dataset(Path(path), default_confidence, rejections, progress=note):
            out.put((links, rejections.errors[kept:], rejections.count, position))
            kept = len(rejections.errors)
        out.put(([], rejections.errors[kept:], rejections.count, position))
        out.put(None)
    except DatasetError as exc:
        out.put(exc)


def read_dataset_in_child(
    path: Path,
    default_confidence: float,
    rejections: Rejections,
    progress: Callable[[int], None] | None = None,
) -> Iterator[list[StagedLink]]:
    """`read_dataset`, run by a child process; same batches, rejections and progress."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue(maxsize=BATCHES_AHEAD)
    child = context.Process(
        target=_read_into, args=(str(path), default_confidence, out), daemon=True
    )
    child.start()
    try:
        while True:
            try:
                message = out.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if not child.is_alive():
                    raise DatasetError(f"{path.name}: the reader stopped unexpectedly.") from None
                continue
            if message is None:
                return
            if isinstance(message, DatasetError):
                raise message
            links, errors, count, position = message
            for row, reason in errors:
                rejections.add(row, reason)
            rejections.count = count
            if progress is not None:
                progress(position)
            if links:
                yield links
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        out.close()
