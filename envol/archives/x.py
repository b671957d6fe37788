"""Read the official X archive ("Download an archive of your data"), as a .zip or a folder.

`XArchive.open(path)` checks the archive (see `source`), finds its data folder and the files of
each data type — from `data/manifest.js` when present, else by scanning `data/*.js` — and reads
the account at once. Everything else is streamed on demand as typed records (`x_records`), one
file part at a time, so a service can pipe them straight into bulk inserts. Any defect raises
`ArchiveError` (file, line or record, what to do) — possibly in the middle of a stream, so a
consumer writes inside a transaction and commits only when the stream ends. Data types envol
does not use are reported in `warnings`, never as errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Self, TypeVar

from envol.archives.errors import ArchiveError, ArchiveWarning
from envol.archives.source import (
    ArchiveInput,
    ArchiveLimits,
    ArchiveSource,
    MemberStream,
    open_source,
)
from envol.archives.x_records import (
    Account,
    Counts,
    ListKind,
    ListRef,
    Profile,
    Relation,
    RelationKind,
    Tweet,
    TweetPass,
)
from envol.archives.x_tweets import (
    NoteIndex,
    TweetContext,
    id_of,
    mapping_of,
    normalise_tweet,
    parse_iso_date,
    parse_note,
    text_of,
)
from envol.archives.ytd import Shard, UnshardableFile, iter_elements, read_manifest

_T = TypeVar("_T")
# What converting a record of the wrong shape can raise; turned into `ArchiveError`.
_SHAPE_ERRORS: Final = (KeyError, ValueError, TypeError, AttributeError, IndexError, OverflowError)

_PART_FILE = re.compile(r"^([a-z0-9]+(?:-[a-z0-9]+)*?)(?:-part([0-9]+))?\.js$")
_JS_ENDINGS: Final = (".js", ".js\n")
_GLOBAL_PART = re.compile(r"\.part([0-9]+)$")
_CAMEL_HUMP = re.compile(r"(?<!^)(?=[A-Z])")

# data type (snake case, as in the `window.YTD.<type>` globals) → key inside each element
RELATION_TYPES: Final = {
    RelationKind.FOLLOWING: ("following", "following"),
    RelationKind.FOLLOWER: ("follower", "follower"),
    RelationKind.BLOCK: ("block", "blocking"),
    RelationKind.MUTE: ("mute", "muting"),
}
LIST_TYPES: Final = {
    ListKind.CREATED: "lists_created",
    ListKind.MEMBER: "lists_member",
    ListKind.SUBSCRIBED: "lists_subscribed",
}
TWEET_TYPES: Final = ("tweets", "tweet")  # the newer name first; pre-2022 archives use `tweet`
KNOWN_TYPES: Final = frozenset(
    {"account", "profile", "note_tweet", "manifest", *TWEET_TYPES, *LIST_TYPES.values()}
    | {data_type for data_type, _key in RELATION_TYPES.values()}
)


# Files that only an X data folder holds; any one of them locates it.
_DATA_MARKERS: Final = ("manifest.js", "account.js", "tweets.js", "tweet.js", "follower.js")


@dataclass(frozen=True, slots=True)
class Layout:
    """Where things are: member names of each data type's parts, in part order, and media."""

    data_dir: str
    files: dict[str, list[str]]
    media_dir: str
    has_manifest: bool
    declared: dict[str, int]


class XArchive:
    """An opened X archive; use as a context manager, or call `close()`."""

    def __init__(self, source: ArchiveSource) -> None:
        self._source = source
        self.warnings: list[ArchiveWarning] = []
        try:
            self.layout = _find_layout(source, self.warnings)
            self.account = self._read_account()
            self.profile = self._read_profile()
        except BaseException:
            source.close()
            raise
        prefix = f"{self.layout.media_dir}/"
        self._media_files = frozenset(
            name[len(prefix) :] for name in source.names() if name.startswith(prefix)
        )
        self._tweet_tally: dict[str, int] | None = None
        self._tweet_pass: TweetPass | None = None
        # Records of each relation file, from a finished `relations()` pass: an import counts
        # them as it streams instead of parsing the files a second time.
        self._relation_tally: dict[str, int] = {}
        self._end_warnings_given = False

    @classmethod
    def open(cls, archive: ArchiveInput, limits: ArchiveLimits | None = None) -> XArchive:
        return cls(open_source(archive, limits))

    def close(self) -> None:
        self._source.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- streams --------------------------------------------------------------------------------

    def relations(self, kind: RelationKind | str) -> Iterator[Relation]:
        """Accounts followed, following, blocked or muted: ids only, as in the archive."""
        kind = RelationKind(kind)
        data_type, key = RELATION_TYPES[kind]
        records = 0
        for name in self.layout.files.get(data_type, ()):
            for account_id in self._converted(name, lambda element: _relation_id(element, key)):
                if not account_id:
                    raise ArchiveError("unexpected_content", file=name, detail="account without id")
                records += 1
                yield Relation(kind, account_id)
        self._relation_tally[kind.value] = records

    def lists(self) -> Iterator[ListRef]:
        """Lists created, joined or subscribed to, by URL."""
        for kind, data_type in LIST_TYPES.items():
            for _name, _index, url in self._records(data_type, _list_url):
                yield ListRef(kind, url)

    def tweets(self, shard: Shard | None = None) -> Iterator[Tweet]:
        """Every tweet (retweets and replies included), long posts joined, in archive order;
        with a `shard`, only its share (other processes read the rest: `adopt_tweet_passes`)."""
        notes = self._read_notes()
        context = TweetContext(media_files=self._media_files, notes=notes)

        # a closure, not a partial with a keyword argument: half the cost per call
        def convert(element: Any) -> Tweet:
            return normalise_tweet(element, context)

        tweets = retweets = replies = media = missing_media = 0
        for name in self.layout.files.get(self._tweet_type(), ()):
            for tweet in self._converted(name, convert, shard):
                tweets += 1
                if tweet.is_retweet:
                    retweets += 1
                if tweet.reply_to_tweet_id:  # `is_reply`, without the property's call
                    replies += 1
                if tweet.media:
                    media += len(tweet.media)
                    if not tweet.is_retweet:
                        missing_media += sum(not item.in_archive for item in tweet.media)
                yield tweet
        tally = {"tweets": tweets, "retweets": retweets, "replies": replies, "media": media}
        joined = frozenset(notes.joined) if notes else frozenset()
        self._tweet_pass = TweetPass(tally, notes.total if notes else 0, joined, missing_media)
        if shard is None:
            self._end_of_tweets()

    def tweet_pass(self) -> TweetPass:
        """What a finished `tweets()` pass saw (a reader process sends it to its parent)."""
        if self._tweet_pass is None:
            raise RuntimeError("tweet_pass() before the end of a tweets() pass")
        return self._tweet_pass

    def adopt_tweet_passes(self, passes: list[TweetPass]) -> None:
        """The `tweets()` passes of other copies of this archive (reader processes, one shard
        each) as if one pass had been made here: tallies added, warnings given."""
        self._tweet_pass = TweetPass.merged(passes)
        self._end_of_tweets()

    def _end_of_tweets(self) -> None:
        done = self._tweet_pass
        assert done is not None
        self._tweet_tally = {**done.tally, "note_tweets": done.notes}
        if self._end_warnings_given:
            return
        self._end_warnings_given = True
        if unjoined := done.notes - len(done.joined_notes):
            self.warnings.append(
                ArchiveWarning("unmatched_note_tweets", self._first("note_tweet"), str(unjoined))
            )
        if done.missing_media:
            self.warnings.append(
                ArchiveWarning("missing_media", self.layout.media_dir, str(done.missing_media))
            )

    def counts(self) -> Counts:
        """All counts; reuses the tallies of finished `tweets()` and `relations()` passes."""
        if self._tweet_tally is None:
            for _tweet in self.tweets():
                pass
        assert self._tweet_tally is not None
        relations = {
            kind.value: self._relation_tally[kind.value]
            if kind.value in self._relation_tally
            else sum(1 for _ in self._records(data_type, _ignore))
            for kind, (data_type, _key) in RELATION_TYPES.items()
        }
        return Counts(**relations, **self._tweet_tally)

    def declared_counts(self) -> dict[str, int]:
        """Record counts the manifest announces per data type (for progress bars); may be empty."""
        return dict(self.layout.declared)

    def open_media(self, file_name: str) -> MemberStream:
        """A stream of one media file, to copy it when the organisation keeps media."""
        return self._source.open(f"{self.layout.media_dir}/{file_name}")

    # --- internals ------------------------------------------------------------------------------

    def _tweet_type(self) -> str:
        return next((t for t in TWEET_TYPES if self.layout.files.get(t)), TWEET_TYPES[0])

    def _first(self, data_type: str) -> str:
        names = self.layout.files.get(data_type) or [f"{self.layout.data_dir}{data_type}.js"]
        return names[0]

    def _records(
        self, data_type: str, convert: Callable[[Any], _T]
    ) -> Iterator[tuple[str, int, _T]]:
        """(file, record number, converted element) for every part of a data type."""
        for name in self.layout.files.get(data_type, ()):
            for index, converted in enumerate(self._converted(name, convert), 1):
                yield name, index, converted

    def _converted(
        self, name: str, convert: Callable[[Any], _T], shard: Shard | None = None
    ) -> Iterator[_T]:
        """The converted elements of one file; a record of the wrong shape is an `ArchiveError`
        naming the file and the record (the hot loop of tweets and relations: one generator;
        a shard's record numbers count its share only)."""
        elements = iter_elements(self._source, name, shard=shard)
        for index, element in enumerate(elements, 1):
            try:
                converted = convert(element)
            except _SHAPE_ERRORS as error:
                if shard is not None:  # its record number is the whole file's, read unshared
                    raise UnshardableFile(name) from None
                raise ArchiveError(
                    "unexpected_content", file=name, record=index, detail=_explain(error)
                ) from None
            yield converted

    def _read_account(self) -> Account:
        if not self.layout.files.get("account"):
            raise ArchiveError("missing_file", file=f"{self.layout.data_dir}account.js")
        for name, _index, account in self._records("account", _account):
            if not account.id:
                raise ArchiveError("unexpected_content", file=name, record=1, detail="no accountId")
            return account
        raise ArchiveError("unexpected_content", file=self._first("account"), detail="no account")

    def _read_profile(self) -> Profile | None:
        for _name, _index, profile in self._records("profile", _profile):
            return profile
        return None

    def _read_notes(self) -> NoteIndex | None:
        if not self.layout.files.get("note_tweet"):
            return None
        index = NoteIndex()
        for _name, _i, note in self._records("note_tweet", parse_note):
            index.add(note)
        return index


def _relation_id(element: Any, key: str) -> str:
    """`{key: {"accountId": "…"}}` → the id; checked by class first (200k records and more),
    then by the checking helpers, which accept what they always accepted or raise."""
    if element.__class__ is dict:
        inner = element[key]
        if inner.__class__ is dict:
            account_id = inner["accountId"]
            if account_id.__class__ is str:
                return account_id
    return id_of(mapping_of(mapping_of(element)[key])["accountId"])


def _list_url(element: Any) -> str:
    return text_of(mapping_of(mapping_of(element)["userListInfo"])["url"])


def _ignore(_element: Any) -> None:
    return None


def _explain(error: BaseException) -> str:
    if isinstance(error, KeyError):
        return f"missing field {error}"
    return str(error)[:200] or type(error).__name__


def _account(element: Any) -> Account:
    account = mapping_of(mapping_of(element)["account"])
    return Account(
        id=id_of(account.get("accountId")),
        username=text_of(account.get("username")),
        display_name=text_of(account.get("accountDisplayName")),
        created_at=parse_iso_date(account.get("createdAt")),
    )


def _profile(element: Any) -> Profile:
    profile = mapping_of(mapping_of(element)["profile"])
    description = mapping_of(profile.get("description"))
    return Profile(
        bio=text_of(description.get("bio")),
        website=text_of(description.get("website")),
        location=text_of(description.get("location")),
        avatar_url=text_of(profile.get("avatarMediaUrl")),
        header_url=text_of(profile.get("headerMediaUrl")),
    )


# --- layout ----------------------------------------------------------------------------------


def _find_data_dir(names: frozenset[str]) -> str:
    """`data/` (or `<folder>/data/`, or `` when given the data folder itself)."""
    candidates = [
        name[: -len(marker)]
        for name in names
        if name.endswith(_DATA_MARKERS)  # one C call for the many names that are media
        for marker in _DATA_MARKERS
        if name.endswith(marker) and (name == marker or name.endswith("/" + marker))
    ]
    if not candidates:
        raise ArchiveError("not_an_x_archive")
    return min(candidates, key=lambda prefix: (prefix.count("/"), prefix))


def _find_layout(source: ArchiveSource, warnings: list[ArchiveWarning]) -> Layout:
    names = source.names()
    data_dir = _find_data_dir(names)
    root = data_dir[: -len("data/")] if data_dir.endswith("data/") else None
    manifest_name = f"{data_dir}manifest.js"
    files = _files_from_scan(names, data_dir)
    media_dir, declared = "", dict[str, int]()
    has_manifest = manifest_name in names
    if has_manifest:
        # The manifest is authoritative for the types it lists; the scan fills in the rest.
        listed, media_dir, declared = _files_from_manifest(source, manifest_name, data_dir, root)
        files.update({data_type: parts for data_type, parts in listed.items() if parts})
    for data_type, parts in sorted(files.items()):
        if data_type not in KNOWN_TYPES and parts:
            warnings.append(ArchiveWarning("unread_data_type", parts[0], data_type))
    if not media_dir:
        media_dir = _guess_media_dir(names, data_dir, files)
    return Layout(data_dir, files, media_dir, has_manifest, declared)


def _files_from_scan(names: frozenset[str], data_dir: str) -> dict[str, list[str]]:
    parts: dict[str, list[tuple[int, str]]] = {}
    for name in names:
        # `.js` (or `.js` and a newline, which `$` also accepts): skips the media at once
        if not name.endswith(_JS_ENDINGS) or not name.startswith(data_dir):
            continue
        match = _PART_FILE.match(name[len(data_dir) :])
        if match is None:
            continue
        data_type = match.group(1).replace("-", "_")
        parts.setdefault(data_type, []).append((int(match.group(2) or 0), name))
    return {data_type: [name for _n, name in sorted(found)] for data_type, found in parts.items()}


def _files_from_manifest(
    source: ArchiveSource, manifest_name: str, data_dir: str, root: str | None
) -> tuple[dict[str, list[str]], str, dict[str, int]]:
    try:
        manifest = mapping_of(read_manifest(source, manifest_name))
        data_types = mapping_of(manifest.get("dataTypes"))
        files: dict[str, list[str]] = {}
        declared: dict[str, int] = {}
        media_dir = ""
        for camel, description in data_types.items():
            data_type = _CAMEL_HUMP.sub("_", camel).lower()
            entry = mapping_of(description)
            parts: list[tuple[int, str]] = []
            count = 0
            for position, item in enumerate(list_of_files(entry)):
                file_name = text_of(item.get("fileName"))
                part = _GLOBAL_PART.search(text_of(item.get("globalName")))
                parts.append((int(part.group(1)) if part else position, file_name))
                count += _declared_count(item.get("count"))
            names = [_member_name(file_name, data_dir, root) for _p, file_name in sorted(parts)]
            files[data_type] = names
            declared[data_type] = count
            if data_type in TWEET_TYPES and entry.get("mediaDirectory"):
                media_dir = _member_name(text_of(entry.get("mediaDirectory")), data_dir, root)
    except _SHAPE_ERRORS as error:
        detail = _explain(error)
        raise ArchiveError("unexpected_content", file=manifest_name, detail=detail) from None
    for data_type, names in files.items():
        if data_type in KNOWN_TYPES:
            for name in names:
                if name not in source.names():
                    raise ArchiveError("missing_file", file=name)
    return files, media_dir.rstrip("/"), declared


def _declared_count(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else 0


def list_of_files(entry: Any) -> list[dict[str, Any]]:
    items = mapping_of(entry).get("files") or []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ValueError("'files' must be a list of objects")
    return items


def _member_name(file_name: str, data_dir: str, root: str | None) -> str:
    """A manifest path (`data/tweets.js`, relative to the archive root) → member name."""
    if root is not None:
        return f"{root}{file_name}"
    return f"{data_dir}{file_name.removeprefix('data/')}"


def _guess_media_dir(names: frozenset[str], data_dir: str, files: dict[str, list[str]]) -> str:
    preferred = ["tweets_media", "tweet_media"]
    if not files.get("tweets") and files.get("tweet"):
        preferred.reverse()
    for folder in preferred:
        prefix = f"{data_dir}{folder}/"
        if any(name.startswith(prefix) for name in names):
            return prefix.rstrip("/")
    return f"{data_dir}{preferred[0]}"
