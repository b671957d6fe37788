"""Archives built to exhaust memory end in a clean `ArchiveError`, with memory bounded.

Each archive is read in a subprocess (the import's own path: open, then every stream), whose
peak resident memory is read from the kernel afterwards (`VmHWM` of its own address space:
`ru_maxrss` would carry over the forked pytest parent's peak across `exec`, which failed CI once
the suite itself had grown past the limit). Before the bounded reading layer, the
first took a worker past 4 GB and the second took the upload request to 2 GB.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from envol.archives.tests import hostile

PEAK_RSS_LIMIT_MB = 300

READ_IN_A_CHILD = """
import json, sys
from envol.archives.errors import ArchiveError
from envol.archives.tests.helpers import read_everything
from envol.archives.x import XArchive

try:
    with XArchive.open(sys.argv[1]) as archive:
        read_everything(archive)
    result = {"code": None}
except ArchiveError as error:
    result = {"code": error.code, "file": error.file, "line": error.line,
              "en": error.message("en"), "fr": error.message("fr")}
with open("/proc/self/status") as status:
    peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
result["peak_rss_mb"] = peak_kb / 1024
print(json.dumps(result))
"""


def read_in_a_child(archive: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", READ_IN_A_CHILD, str(archive)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.slow
@pytest.mark.parametrize(
    ("build", "code", "file"),
    [
        pytest.param(
            hostile.endless_record_zip, "record_too_large", "data/tweets.js", id="1.1GB-record"
        ),
        pytest.param(
            hostile.lying_sizes_zip, "malformed_json", "data/manifest.js", id="lying-sizes"
        ),
        pytest.param(
            hostile.overlapping_zip, "overlapping_entries", "data/account.js", id="overlap"
        ),
    ],
)
def test_a_hostile_archive_is_refused_within_bounded_memory(
    tmp_path: Path, build: Callable[[Path], Path], code: str, file: str
) -> None:
    result = read_in_a_child(build(tmp_path / "hostile.zip"))
    assert (result["code"], result["file"]) == (code, file)
    assert str(result["en"]).startswith(file) and str(result["fr"]).startswith(file)
    assert result["en"] != result["fr"] and "ligne" not in str(result["en"])
    assert float(result["peak_rss_mb"]) < PEAK_RSS_LIMIT_MB, result


def test_the_endless_record_is_located_where_it_starts(tmp_path: Path) -> None:
    result = read_in_a_child(hostile.endless_record_zip(tmp_path / "small.zip", gigabytes=0.05))
    assert (result["code"], result["line"]) == ("record_too_large", 2)


def test_members_compressed_with_unbounded_methods_are_refused() -> None:
    import io
    import zipfile

    from envol.archives.errors import ArchiveError
    from envol.archives.source import open_source

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_BZIP2) as archive:
        archive.writestr("data/tweets.js", b"window.YTD.tweets.part0 = []")
    with pytest.raises(ArchiveError) as caught:
        open_source(buffer.getvalue())
    assert (caught.value.code, caught.value.file) == ("unsupported_compression", "data/tweets.js")


@pytest.mark.parametrize(
    ("read", "code"),
    [(150, "zip_bomb"), (60, None)],
)
def test_the_bytes_actually_read_are_counted(read: int, code: str | None) -> None:
    from envol.archives.errors import ArchiveError
    from envol.archives.source import ArchiveLimits, ReadMeter

    limits = ArchiveLimits(ratio_floor_bytes=100, max_ratio=2, max_total_bytes=10_000)
    meter = ReadMeter("data/tweets.js", compressed=10, limits=limits, total=[0])
    if code is None:
        meter.count(read)
        return
    with pytest.raises(ArchiveError) as caught:
        meter.count(read)
    assert caught.value.code == code


def test_the_whole_archive_total_counts_actual_bytes() -> None:
    from envol.archives.errors import ArchiveError
    from envol.archives.source import ArchiveLimits, ReadMeter

    limits = ArchiveLimits(max_total_bytes=1000)
    total = [0]
    ReadMeter("a", 1000, limits, total).count(600)
    with pytest.raises(ArchiveError) as caught:
        ReadMeter("b", 1000, limits, total).count(600)  # each alone fits, not both
    assert caught.value.code == "too_large"
