"""Build the static archive site of one source account's posts, streaming, in bounded memory.

Three passes over the database, each with `.iterator()`:
1. ids, reply links and dates only: which posts exist (for local links), the calendar (posts per
   month, for counts and month-to-month links) and the self-threads (replies to a post of the
   archive, rebuilt as trees and read depth first, in id order — the order they were posted);
2. the posts that belong to a thread, rendered once each, so every page of a thread can show
   the whole thread (self-threads are a small part of an archive);
3. every post in date order, with its media: its permalink page, its article on the month page
   (written as the month goes), its search entry (one script file per year, loaded on demand)
   and its redirect lines.
Then the small pages: years, home, about, search, and the assets (CSS with the organisation's
colour, the search script). Memory holds the ids, the calendar, the threads and one month.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import stat
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice, pairwise
from pathlib import Path
from typing import IO, Any, Final
from zoneinfo import ZoneInfo

import orjson
from django.conf import settings
from django.utils.translation import gettext as _

from envol.history import pages
from envol.history.pages import Channel, Links, MediaView, PostView, SiteFacts
from envol.history.redirects import RedirectWriter, bluesky_web_url
from envol.history.texts import UiText
from envol.portability.models import ArchivedMedia, ArchivedPost, SourceAccount

BlueskyUriFor = Callable[[str], "str | None"]
"""X status id → the URI of the post migrated to Bluesky (`at://…/app.bsky.feed.post/…`), or
None. The post-history migration provides it; without it every redirect goes to the archive."""

MARKER: Final = "envol-site.json"
ASSETS: Final = Path(__file__).parent / "site_assets"
CHUNK: Final = 2000
BUFFER: Final = 1 << 16  # bytes written per system call to the files that grow post by post
PROGRESS_EVERY: Final = 1000
_POST_ID = re.compile(r"^[0-9]{1,20}$")
_MEDIA_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")
_STORED = re.compile(r"^[A-Za-z0-9._/-]{1,500}$")
_NEW_FILE: Final = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
POST_FIELDS: Final = (
    "remote_id",
    "created_at",
    "text",
    "lang",
    "is_retweet",
    "reply_to_post_id",
    "reply_to_user_id",
    "reply_to_username",
    "quoted_post_url",
    "is_note",
)
MEDIA_FIELDS: Final = ("post_remote_id", "kind", "file_name", "alt_text", "stored_path")


class SiteError(Exception):
    """A build that cannot start (the output folder is not ours, nothing to build…)."""


def no_bluesky_posts(_x_id: str) -> str | None:
    return None


@dataclass(frozen=True)
class SiteSpec:
    """Everything a build needs besides the database: who, what it looks like, where it goes."""

    source: SourceAccount
    org_name: str
    ui: UiText
    colour: str  # already checked for contrast (`contrast.safe_colour`)
    base_url: str  # where the site is served, for the redirect maps
    built_at: datetime
    channels: Sequence[Channel] = ()
    channels_page: str = ""
    bluesky_uri_for: BlueskyUriFor = no_bluesky_posts
    zone: str = field(default_factory=lambda: str(settings.TIME_ZONE))


@dataclass
class BuildReport:
    posts: int = 0
    pages: int = 0
    threads: int = 0
    media_copied: int = 0
    media_not_kept: int = 0
    media_missing: int = 0  # kept by the import, gone from the disk since
    skipped_ids: int = 0
    months: int = 0


Progress = Callable[[int, int], None]


def prepare_output(output: Path) -> None:
    """An empty folder, or one envol built before (emptied): never someone else's files."""
    if output.exists():
        if not output.is_dir():
            raise SiteError(_("%(folder)s is a file: choose a folder.") % {"folder": output})
        if any(output.iterdir()):
            if not (output / MARKER).is_file():
                raise SiteError(
                    _(
                        "%(folder)s is not empty and holds no archive site built by envol: "
                        "choose an empty folder."
                    )
                    % {"folder": output}
                )
            for child in output.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
    output.mkdir(parents=True, exist_ok=True)


class SiteBuilder:
    def __init__(self, spec: SiteSpec, output: Path, progress: Progress | None = None) -> None:
        self.spec = spec
        self.output = output
        self.progress = progress
        self.ui = spec.ui
        self.zone = ZoneInfo(spec.zone)
        self.facts = SiteFacts(
            org_name=spec.org_name,
            username=spec.source.username,
            ui=spec.ui,
            built_on=spec.ui.date(spec.built_at.astimezone(self.zone)),
            zone=spec.zone,
        )
        self.report = BuildReport()
        self.ids: set[str] = set()
        self.calendar: Counter[tuple[int, int]] = Counter()
        self.first: datetime | None = None
        self.last: datetime | None = None
        self.thread_root: dict[str, str] = {}
        self.threads: dict[str, list[str]] = {}
        self.thread_posts: dict[str, tuple[PostView, str]] = {}
        self.links = Links(root="../", archived=self.ids.__contains__)
        self.media_root = str(Path(settings.MEDIA_ROOT).resolve())
        self.writer: FileWriter

    # --- the whole build ----------------------------------------------------------------------

    def build(self) -> BuildReport:
        prepare_output(self.output)
        for folder in ("status", "assets", "search", "media"):
            (self.output / folder).mkdir(exist_ok=True)
        self._scan()
        self._render_threads()
        redirects = RedirectWriter(
            self.output, self.spec.base_url, self.spec.source.username, len(self.ids)
        )
        self.writer = FileWriter()
        try:
            self._write_posts(redirects)
        finally:
            redirects.close()
            self.report.media_missing = self.writer.close()
            self.report.media_copied -= self.report.media_missing
        self._write_small_pages()
        self._write_assets()
        (self.output / MARKER).write_bytes(
            orjson.dumps(
                {
                    "generator": "envol",
                    "posts": self.report.posts,
                    "lang": self.ui.lang,
                    "built_at": self.spec.built_at.isoformat(),
                }
            )
        )
        return self.report

    def _posts(self) -> Any:
        return ArchivedPost.objects.filter(source_account=self.spec.source)

    # --- pass 1: ids, calendar, threads -------------------------------------------------------

    def _scan(self) -> None:
        parent_of: dict[str, str] = {}
        rows = self._posts().values_list("remote_id", "reply_to_post_id", "created_at")
        for remote_id, parent, created in rows.iterator(chunk_size=CHUNK * 5):
            if not _POST_ID.match(remote_id):
                self.report.skipped_ids += 1
                continue
            self.ids.add(remote_id)
            local = created.astimezone(self.zone)
            self.calendar[(local.year, local.month)] += 1
            if self.first is None or local < self.first:
                self.first = local
            if self.last is None or local > self.last:
                self.last = local
            if parent and parent != remote_id:
                parent_of[remote_id] = parent
        children: dict[str, list[str]] = defaultdict(list)
        for child, parent in parent_of.items():
            if parent in self.ids:
                children[parent].append(child)
        for root in children:
            if parent_of.get(root) in self.ids:
                continue  # not a root: its parent is archived (cycles never get a root)
            order = _depth_first(root, children)
            self.threads[root] = order
            for member in order:
                self.thread_root[member] = root
        self.report.threads = len(self.threads)
        self.report.months = len(self.calendar)

    # --- pass 2: thread members ---------------------------------------------------------------

    def _render_threads(self) -> None:
        members = list(self.thread_root)
        for start in range(0, len(members), CHUNK):
            chunk = members[start : start + CHUNK]
            rows = self._posts().filter(remote_id__in=chunk).values_list(*POST_FIELDS)
            media = self._media_of(chunk)
            for row in rows.iterator(chunk_size=CHUNK):
                post = self._view(row, self._media_views(media.get(row[0], ()), copy=False))
                body = pages.article_body(post, self.ui, self.links, heading=3)
                self.thread_posts[post.id] = (post, body)

    # --- pass 3: every post in date order -----------------------------------------------------

    def _write_posts(self, redirects: RedirectWriter) -> None:
        months = sorted(self.calendar)
        following = dict(pairwise(months))
        previous = {later: earlier for earlier, later in pairwise(months)}
        month: tuple[int, int] | None = None
        month_file: IO[str] | None = None
        month_tail = ""
        year_shard: _Shard | None = None
        total = len(self.ids)
        for post in self._ordered_posts():
            key = (post.moment.year, post.moment.month)
            if key != month:
                if month_file is not None:
                    month_file.write(month_tail)
                    month_file.close()
                if year_shard is None or year_shard.year != key[0]:
                    if year_shard is not None:
                        year_shard.close()
                    year_shard = _Shard(self.output, key[0])
                month = key
                (self.output / str(key[0])).mkdir(exist_ok=True)
                month_file = (self.output / pages.month_path(*key)).open(
                    "w", encoding="utf-8", buffering=BUFFER
                )
                head, month_tail = pages.month_page_parts(
                    self.facts,
                    key[0],
                    key[1],
                    self.calendar[key],
                    previous.get(key),
                    following.get(key),
                )
                month_file.write(head)
                self.report.pages += 1
            assert month_file is not None and year_shard is not None
            content = pages.article_content(post, self.ui, self.links)
            month_file.write(
                pages.article(post, pages.article_body(post, self.ui, self.links, 2, content))
            )
            self._write_post_page(post, content)
            year_shard.add(post, self.ui)
            redirects.add(post.id, post.bluesky_url)
            self.report.posts += 1
            if self.progress is not None and self.report.posts % PROGRESS_EVERY == 0:
                self.progress(self.report.posts, total)
        if month_file is not None:
            month_file.write(month_tail)
            month_file.close()
        if year_shard is not None:
            year_shard.close()
        if self.progress is not None:
            self.progress(self.report.posts, total)

    def _write_post_page(self, post: PostView, content: str) -> None:
        root = self.thread_root.get(post.id)
        if root is None:
            thread: list[tuple[PostView, str]] = []
            body = content
        else:
            thread = [self.thread_posts[m] for m in self.threads[root] if m in self.thread_posts]
            body = ""
        page = pages.post_page(self.facts, post, body, thread)
        self.writer.write(f"{self.output}/{pages.post_path(post.id)}", page)
        self.report.pages += 1

    def _ordered_posts(self) -> Iterator[PostView]:
        """Every post, oldest first, with its media (fetched per chunk of posts)."""
        rows = (
            self._posts().order_by("created_at", "remote_id").values_list(*POST_FIELDS)
        ).iterator(chunk_size=CHUNK)
        while chunk := list(islice(rows, CHUNK)):
            chunk = [row for row in chunk if row[0] in self.ids]
            media = self._media_of([row[0] for row in chunk])
            for row in chunk:
                yield self._view(row, self._media_views(media.get(row[0], ()), copy=True))

    # --- one post -----------------------------------------------------------------------------

    def _media_of(self, post_ids: list[str]) -> dict[str, list[tuple[Any, ...]]]:
        found: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        if not post_ids:
            return found
        rows = (
            ArchivedMedia.objects.filter(
                source_account=self.spec.source, post_remote_id__in=post_ids
            )
            .order_by("post_remote_id", "position")
            .values_list(*MEDIA_FIELDS)
        )
        for row in rows:
            found[row[0]].append(row)
        return found

    def _media_source(self, stored_path: str, file_name: str) -> str:
        """Where the import kept a media file, when its names are safe: a relative path below
        MEDIA_ROOT (no `..`, not absolute) and a plain file name. Existence is checked apart."""
        if not stored_path or not _MEDIA_FILE.match(file_name) or not _STORED.match(stored_path):
            return ""
        if stored_path.startswith("/") or ".." in stored_path.split("/"):
            return ""
        return f"{self.media_root}/{stored_path}"

    def _media_views(self, items: Sequence[tuple[Any, ...]], copy: bool) -> list[MediaView]:
        """The media of a post as shown. A file the import kept (its `stored_path`) is shown
        and, in the main pass (`copy`), linked into the site by the writer threads; one that has
        disappeared since is counted in `media_missing` when its link fails."""
        views = []
        for _post, kind, file_name, alt, stored_path in items:
            source = self._media_source(stored_path, file_name)
            if copy:
                if source:
                    self.writer.link(source, f"{self.output}/media/{file_name}")
                    self.report.media_copied += 1
                else:
                    self.report.media_not_kept += 1
            views.append(MediaView(kind, alt, file_name if source else ""))
        return views

    def _view(self, row: tuple[Any, ...], media: list[MediaView]) -> PostView:
        (
            remote_id,
            created,
            text,
            lang,
            is_retweet,
            _parent,
            reply_user,
            reply_username,
            quoted_url,
            is_note,
        ) = row
        root = self.thread_root.get(remote_id, "")
        thread = self.threads.get(root, ())
        uri = self.spec.bluesky_uri_for(remote_id)
        return PostView(
            id=remote_id,
            moment=created.astimezone(self.zone),
            text=text,
            lang=lang,
            is_retweet=is_retweet,
            reply_to_username=(
                reply_username if reply_user and reply_user != self.spec.source.remote_id else ""
            ),
            quoted_url=quoted_url,
            is_note=is_note,
            media=media,
            thread_root=root,
            thread_size=len(thread),
            bluesky_url=bluesky_web_url(uri) if uri else "",
        )

    # --- the small pages and the assets -------------------------------------------------------

    def _about_sentence(self) -> str:
        if self.first is None or self.last is None:
            return pages.esc(self.ui["empty"])
        return pages.esc(
            self.ui["about_what"]
            % {
                "name": self.spec.org_name,
                "username": self.spec.source.username,
                "first": self.ui.date(self.first),
                "last": self.ui.date(self.last),
                "count": self.ui.count("posts", self.report.posts),
            }
        )

    def _write_small_pages(self) -> None:
        by_year: dict[int, dict[int, int]] = defaultdict(dict)
        for (year, month), count in self.calendar.items():
            by_year[year][month] = count
        for year, months in by_year.items():
            (self.output / str(year)).mkdir(exist_ok=True)
            self._write(pages.year_path(year), pages.year_page(self.facts, year, months))
        about = self._about_sentence()
        self._write("index.html", pages.index_page(self.facts, by_year, about))
        self._write(
            "about.html",
            pages.about_page(self.facts, about, self.spec.channels, self.spec.channels_page),
        )
        self._write("search.html", pages.search_page(self.facts, sorted(by_year, reverse=True)))

    def _write(self, relative: str, content: str) -> None:
        (self.output / relative).write_text(content, encoding="utf-8")
        self.report.pages += 1

    def _write_assets(self) -> None:
        css = (ASSETS / "site.css").read_text(encoding="utf-8")
        (self.output / "assets" / "site.css").write_text(
            css.replace("--org: #1f4f8f;", f"--org: {self.spec.colour};", 1), encoding="utf-8"
        )
        shutil.copyfile(ASSETS / "search.js", self.output / "assets" / "search.js")


def _is_regular_file(path: str) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _depth_first(root: str, children: dict[str, list[str]]) -> list[str]:
    """A thread in reading order: each post, then its replies (oldest first), depth first."""
    order: list[str] = []
    seen: set[str] = set()
    stack = [root]
    while stack:
        post = stack.pop()
        if post in seen:
            continue
        seen.add(post)
        order.append(post)
        stack.extend(sorted(children.get(post, ()), key=int, reverse=True))
    return order


class _Shard:
    """One year of the search index: `search/<year>.js`, a call with a JSON array, written as
    the posts come (a script, not a .json file: browsers refuse to fetch files from file://)."""

    def __init__(self, output: Path, year: int) -> None:
        self.year = year
        self._out = (output / "search" / f"{year}.js").open("wb", buffering=BUFFER)
        self._out.write(f"envolSearch.receive({year},[".encode())
        self._first = True

    def add(self, post: PostView, ui: UiText) -> None:
        entry = orjson.dumps(
            [post.id, ui.date_time(post.moment), pages.lang_attribute(post.lang), post.text]
        )
        self._out.write(entry if self._first else b"," + entry)
        self._first = False

    def close(self) -> None:
        self._out.write(b"]);\n")
        self._out.close()


class FileWriter:
    """Writes pages and links media files from threads of their own: creating 100,000 files is
    kernel work that runs without the GIL, so it overlaps with rendering the next pages, and
    files in different folders (pages, media) are created side by side. The queue is bounded
    (memory holds at most `depth` pages); an error in a thread is raised by the next call."""

    def __init__(self, threads: int = 2, depth: int = 256) -> None:
        self._queue: queue.Queue[tuple[str, bytes | str] | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._missing = 0
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, name=f"archive-site-writer-{n}", daemon=True)
            for n in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is not None:
                continue
            path, content = item  # bytes: a page to write; str: a media file to link
            try:
                if isinstance(content, bytes):
                    # three system calls, each without the GIL; the page was encoded by the
                    # building thread, so this one holds the GIL for almost nothing
                    descriptor = os.open(path, _NEW_FILE, 0o644)
                    try:
                        os.write(descriptor, content)
                    finally:
                        os.close(descriptor)
                elif not _link_or_copy(content, path):
                    with self._lock:
                        self._missing += 1
            except BaseException as exc:  # handed to the building thread
                self._error = exc

    def _put(self, item: tuple[str, bytes | str]) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(item)

    def write(self, path: str, content: str) -> None:
        self._put((path, content.encode()))

    def link(self, source: str, target: str) -> None:
        self._put((target, source))

    def close(self) -> int:
        """Wait for every file; return how many media sources were missing."""
        for _thread in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()
        if self._error is not None:
            raise self._error
        return self._missing


def _link_or_copy(source: str, target: str) -> bool:
    """Link (or copy, across disks) a kept media file into the site; False when it is gone.
    One system call in the usual case: the link itself says whether the file exists."""
    try:
        os.link(source, target, follow_symlinks=False)
    except FileExistsError:
        return True
    except FileNotFoundError:
        return False
    except OSError:
        if not _is_regular_file(source):
            return False
        shutil.copyfile(source, target)
    return True
