"""A dataset import in chunks: the reader process stages what a reader reads, an import
stopped mid-file resumes after its last committed chunk, and a merge sets weaker assertions
aside as observations."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from envol.crosswalk import chunks, store
from envol.crosswalk.dataset import DatasetError, Rejections, read_dataset
from envol.crosswalk.models import DatasetImport, IdentityLink, LinkObservation
from envol.crosswalk.services import import_dataset
from envol.crosswalk.tests.conftest import did_for, write_csv
from envol.testing.subprocess_db import env_for_child

pytestmark = pytest.mark.django_db(transaction=True)


def mixed_file(path: Path, rows: int, evidence: str = "e") -> Path:
    """Rows with a Bluesky DID, a Mastodon account on most, one in seven rejected."""
    return write_csv(
        path,
        [
            [str(i), f"u{i}", "", did_for(i), f"u{i}@piaille.fr" if i % 3 else "", evidence]
            if i % 7
            else [f"{i}x", "", "", "", "", ""]
            for i in range(1, rows + 1)
        ],
    )


def staged_rows(chunk: chunks.Chunk) -> list[tuple[Any, ...]]:
    """In the order staged (PostgreSQL: a COPY fills a fresh table in order)."""
    order = "rowid" if connection.vendor == "sqlite" else "ctid"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {chunk.table} ORDER BY {order}")  # noqa: S608
        return [tuple(row) for row in cursor.fetchall()]


def test_the_reader_process_stages_what_the_reader_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: chunk files; PostgreSQL: batches of COPY text. Rows, rejections (each chunk its
    own) and progress come back as a reader in this process sees them."""
    monkeypatch.setattr(chunks, "CHILD_ABOVE_BYTES", 0)
    path = mixed_file(tmp_path / "big.csv", 25_000)
    reader_rejections = Rejections()
    expected = [
        link for batch in read_dataset(path, 0.8, reader_rejections) for link in batch.links
    ]
    staged, errors, rejected, positions = [], [], 0, []
    with closing(chunks.staged_chunks(path, 0.8, progress=positions.append, size=9_000)) as all_:
        for chunk in all_:
            if connection.vendor == "sqlite":
                assert chunk.table.startswith(chunks.ATTACHED)
            staged += staged_rows(chunk)
            errors += chunk.errors
            rejected += chunk.rejected
            last_line = chunk.last_line
    assert staged == expected
    assert (rejected, errors) == (reader_rejections.count, reader_rejections.errors)
    assert last_line == 25_001 and positions[-1] == path.stat().st_size


def test_the_child_reports_an_unreadable_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chunks, "CHILD_ABOVE_BYTES", 0)
    path = tmp_path / "nohead.csv"
    path.write_text("id,did\n1,x\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"nohead\.csv, line 1: no x_id column"):
        list(chunks.staged_chunks(path, 0.8))


@pytest.mark.parametrize("in_child", [True, False], ids=["reader-process", "read-here"])
def test_an_interrupted_import_resumes_after_its_last_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Any, in_child: bool
) -> None:
    monkeypatch.setattr(chunks, "CHILD_ABOVE_BYTES", 0 if in_child else 10**12)
    settings.ENVOL_CROSSWALK_CHUNK_LINKS = 1_000  # a chunk per batch the reader reads
    path = mixed_file(tmp_path / "links.csv", 30_000)
    whole = import_dataset(mixed_file(tmp_path / "copy.csv", 30_000), "reference")
    IdentityLink.objects.all().delete()

    merged = []
    real_merge = store.merge_staged

    def merge_then_crash(*args: Any, **kwargs: Any) -> store.MergeResult:
        if len(merged) == 2:
            raise KeyboardInterrupt  # as if the process were stopped mid-file
        merged.append(real_merge(*args, **kwargs))
        return merged[-1]

    monkeypatch.setattr(store, "merge_staged", merge_then_crash)
    with pytest.raises(KeyboardInterrupt):
        import_dataset(path, "resumed")
    run = DatasetImport.objects.get(source="dataset:resumed")
    assert run.state == DatasetImport.State.RUNNING and 0 < run.lines_done < 30_001
    assert IdentityLink.objects.count() == sum(r.imported for r in merged) > 0

    monkeypatch.setattr(store, "merge_staged", real_merge)
    summary = import_dataset(path, "resumed")
    assert summary.as_json() == whole.as_json()
    run.refresh_from_db()
    assert run.state == DatasetImport.State.DONE and run.lines_done == 30_001
    assert IdentityLink.objects.count() == whole.imported
    # Done: importing the file again is a new import, which finds every link known.
    again = import_dataset(path, "resumed")
    assert (again.imported, again.updated) == (0, whole.imported)


def test_a_changed_file_is_a_new_import(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [["1", "", "", did_for(1), "", ""]])
    import_dataset(path, "a")
    DatasetImport.objects.update(state=DatasetImport.State.RUNNING, lines_done=2)
    write_csv(path, [["1", "", "", did_for(1), "", ""], ["2", "", "", did_for(2), "", ""]])
    summary = import_dataset(path, "a")
    assert (summary.imported, summary.updated) == (1, 1)
    # The stopped import of the old file will never resume: superseded by the new one.
    assert list(DatasetImport.objects.order_by("pk").values_list("state", flat=True)) == [
        DatasetImport.State.SUPERSEDED,
        DatasetImport.State.DONE,
    ]


def test_weaker_and_displaced_assertions_are_set_aside(tmp_path: Path) -> None:
    rows = [[str(i), "", "", did_for(i), "", f"from a {i}"] for i in (1, 2)]
    import_dataset(write_csv(tmp_path / "a.csv", rows), "a", 0.8)
    assert not LinkObservation.objects.exists()  # one source: the links hold it all
    import_dataset(write_csv(tmp_path / "b.csv", [["1", "", "", did_for(1), "", "b"]]), "b", 0.9)
    import_dataset(write_csv(tmp_path / "c.csv", [["2", "", "", did_for(2), "", "c"]]), "c", 0.5)
    one, two = IdentityLink.objects.order_by("x_id")
    assert (one.source, one.evidence, one.confidence) == ("dataset:b", "b", 0.9)
    assert (two.source, two.evidence, two.confidence) == ("dataset:a", "from a 2", 0.8)
    aside = {
        (o.link_id, o.source): (o.evidence, o.confidence) for o in LinkObservation.objects.all()
    }
    assert aside == {
        (one.pk, "dataset:a"): ("from a 1", 0.8),
        (two.pk, "dataset:c"): ("c", 0.5),
    }
    assert not IdentityLink.objects.filter(aside_source__isnull=False).exists()
    # a takes link 1 back: its observation becomes the link's own, b's is set aside.
    import_dataset(
        write_csv(tmp_path / "a2.csv", [["1", "", "", did_for(1), "", "again"]]), "a", 0.95
    )
    one.refresh_from_db()
    assert (one.source, one.evidence) == ("dataset:a", "again")
    assert set(one.observations.values_list("source", flat=True)) == {"dataset:b"}
    assert set(IdentityLink.objects.asserted_by("dataset:b")) == {one}
    assert set(IdentityLink.objects.asserted_by("dataset:a")) == {one, two}


def test_a_killed_import_command_resumes_where_it_stopped(tmp_path: Path) -> None:
    """The real `envol crosswalk import`, SIGKILLed after its first committed chunk, then run
    again: every link once, the summary of the whole file, no reader left behind."""
    rows = 220_000  # past CHILD_ABOVE_BYTES: read by a reader process
    path = mixed_file(tmp_path / "big.csv", rows, evidence="https://example.org/" + "e" * 60)
    assert path.stat().st_size > chunks.CHILD_ABOVE_BYTES
    command = [sys.executable, "-m", "envol", "crosswalk", "import", str(path)]
    command += ["--source", "big", "--json"]
    env = {**env_for_child(), "ENVOL_CROSSWALK_CHUNK_LINKS": "20000", "ENVOL_LANGUAGE": "en"}
    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not DatasetImport.objects.filter(lines_done__gt=0).exists():
        assert first.poll() is None, "the import ended before it could be stopped"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    readers = subprocess.run(["pgrep", "-P", str(first.pid)], capture_output=True, text=True)
    first.send_signal(signal.SIGKILL)
    first.wait()
    stopped = DatasetImport.objects.get()
    assert stopped.state == DatasetImport.State.RUNNING and stopped.lines_done < rows + 1
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    summary = json.loads(done.stdout)
    assert f"resuming after line {stopped.lines_done:,}" in done.stderr
    bluesky = rows - rows // 7
    mastodon = len([i for i in range(1, rows + 1) if i % 7 and i % 3])
    assert (summary["imported"], summary["updated"]) == (bluesky + mastodon, 0)
    assert summary["rejected"] == rows // 7
    assert IdentityLink.objects.count() == bluesky + mastodon
    assert DatasetImport.objects.get().state == DatasetImport.State.DONE
    assert not [pid for pid in readers.stdout.split() if running(int(pid))]
    # The killed import's chunk files went with the next import.
    assert not list(Path(tempfile.gettempdir()).glob(f"{chunks.CHUNK_DIRECTORY}{first.pid}-*"))


def running(pid: int) -> bool:
    """Alive and not a zombie (a container's first process may never reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_admins_see_how_far_each_import_got(tmp_path: Path, admin_client: Any) -> None:
    import_dataset(write_csv(tmp_path / "seen.csv", [["1", "", "", did_for(1), "", ""]]), "seen")
    page = admin_client.get("/admin/crosswalk/datasetimport/")
    assert page.status_code == 200
    assert "seen.csv" in page.content.decode()


@pytest.mark.parametrize(
    "evidence",
    ["plain", "tab\there", "line\nbreak", "back\\slash \\N", "cr\rlf\r\n", "\t\\\n"],
)
def test_staged_values_come_back_unchanged(evidence: str) -> None:
    """Values with the characters COPY's text format escapes (tab, line breaks, backslash)
    are staged as they were read — on PostgreSQL through one COPY block per batch, as the
    reader process formats it."""
    link = (7, 12345678901234, "h\\x", "bluesky", did_for(7), "a.bsky.social", "", evidence, 0.75)
    with connection.cursor() as cursor:
        chunks.staging.create_temporary(cursor)
        try:
            links = [link, (*link[:7], "after", 0.5)]
            chunks._stage_here(cursor, chunks._Batch(links, len(links), 1))
            cursor.execute(f"SELECT * FROM {chunks.staging.STAGING} ORDER BY confidence DESC")  # noqa: S608
            rows = [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.execute(f"DROP TABLE {chunks.staging.STAGING}")
    assert rows == [link, (*link[:7], "after", 0.5)]


def on_postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("halves on PostgreSQL only (runs in pytest --db=postgres)")


def test_a_half_merged_before_a_crash_is_neither_merged_nor_counted_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """PostgreSQL merges a large file's chunks in two halves at once, each committing on its
    own. The upper half of the second chunk fails after the lower one committed: the resumed
    import skips the lower half's rows, and the summary is the whole file's, exactly."""
    on_postgresql_only()
    monkeypatch.setattr(chunks, "CHILD_ABOVE_BYTES", 0)
    settings.ENVOL_CROSSWALK_CHUNK_LINKS = 4_000
    path = mixed_file(tmp_path / "links.csv", 30_000)
    whole = import_dataset(mixed_file(tmp_path / "copy.csv", 30_000), "reference")
    IdentityLink.objects.all().delete()

    parts: list[store.Part] = []
    real_merge = store.merge_staged

    def upper_half_of_second_chunk_fails(*args: Any, **kwargs: Any) -> store.MergeResult:
        part = kwargs["part"]
        parts.append(part)
        if part.high is None and len([p for p in parts if p.high is None]) == 2:
            raise KeyboardInterrupt  # as if the process were stopped between the two commits
        return real_merge(*args, **kwargs)

    monkeypatch.setattr(store, "merge_staged", upper_half_of_second_chunk_fails)
    with pytest.raises(KeyboardInterrupt):
        import_dataset(path, "resumed")
    run = DatasetImport.objects.get(source="dataset:resumed")
    first, second = sorted({(p.after, p.until) for p in parts})
    assert run.lines_done == first[1] == second[0]
    (noted,) = run.parts_done
    assert (noted["after"], noted["until"], noted["low"]) == (*second, None)
    assert noted["high"] is not None  # the lower half, up to the median X id
    halfway = IdentityLink.objects.count()
    assert halfway == run.imported > 0

    monkeypatch.setattr(store, "merge_staged", real_merge)
    summary = import_dataset(path, "resumed")
    assert summary.as_json() == whole.as_json()
    assert IdentityLink.objects.count() == whole.imported
    run.refresh_from_db()
    assert (run.state, run.lines_done, run.parts_done) == (DatasetImport.State.DONE, 30_001, [])


def test_the_halves_of_a_chunk_hold_about_as_many_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    on_postgresql_only()
    monkeypatch.setattr(chunks, "CHILD_ABOVE_BYTES", 0)
    settings.ENVOL_CROSSWALK_CHUNK_LINKS = 40_000
    path = mixed_file(tmp_path / "links.csv", 30_000)
    results: list[tuple[store.Part, store.MergeResult]] = []
    real_merge = store.merge_staged

    def noted(*args: Any, **kwargs: Any) -> store.MergeResult:
        results.append((kwargs["part"], real_merge(*args, **kwargs)))
        return results[-1][1]

    monkeypatch.setattr(store, "merge_staged", noted)
    summary = import_dataset(path, "halves")
    sizes = [result.imported for _, result in results]
    assert sum(sizes) == summary.imported == IdentityLink.objects.count()
    assert len(sizes) == 4  # a first chunk of a quarter of the size, then the rest
    for low, high in zip(sizes[::2], sizes[1::2], strict=True):
        assert abs(low - high) < 0.2 * (low + high)


def test_an_import_drops_the_staging_tables_killed_imports_left(tmp_path: Path) -> None:
    """But not those of an import that may still resume."""
    on_postgresql_only()
    resumable = DatasetImport.objects.create(
        source="dataset:r", file_name="r.csv", fingerprint="1:x", default_confidence=0.8
    )
    finished = DatasetImport.objects.create(
        source="dataset:f",
        file_name="f.csv",
        fingerprint="2:y",
        default_confidence=0.8,
        state=DatasetImport.State.DONE,
    )
    superseded = DatasetImport.objects.create(
        source="dataset:a", file_name="old.csv", fingerprint="3:z", default_confidence=0.8
    )
    left = [
        f"crosswalk_staging_{run.pk}_{slot}"
        for run in (resumable, finished, superseded)
        for slot in (0, 1)
    ]
    with connection.cursor() as cursor:
        for table in left:
            cursor.execute(f"CREATE UNLOGGED TABLE {table} (x_id bigint)")
    import_dataset(write_csv(tmp_path / "a.csv", [["1", "", "", did_for(1), "", ""]]), "a")
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'crosswalk_staging%%'")
        assert sorted(row[0] for row in cursor.fetchall()) == left[:2]
    superseded.refresh_from_db()
    assert superseded.state == DatasetImport.State.SUPERSEDED
