"""The normalised records read from an X archive: typed, immutable, ready for bulk inserts.

Ids stay strings (X ids overflow JavaScript numbers and the archive writes them as strings);
datetimes are timezone-aware UTC; texts are decoded (no HTML entities, no t.co links).

A tweet, its media, its mentions and a relation are named tuples, not frozen dataclasses: an
archive holds hundreds of thousands of them, and a frozen dataclass sets each field through
`object.__setattr__` — building them cost more than parsing their JSON (bench/archive_import.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple


class RelationKind(StrEnum):
    FOLLOWING = "following"
    FOLLOWER = "follower"
    BLOCK = "block"
    MUTE = "mute"


class ListKind(StrEnum):
    CREATED = "created"
    MEMBER = "member"
    SUBSCRIBED = "subscribed"


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    username: str
    display_name: str
    created_at: datetime | None


@dataclass(frozen=True, slots=True)
class Profile:
    bio: str
    website: str
    location: str
    avatar_url: str
    header_url: str


class Relation(NamedTuple):
    kind: RelationKind
    account_id: str


@dataclass(frozen=True, slots=True)
class ListRef:
    kind: ListKind
    url: str


class Mention(NamedTuple):
    user_id: str
    username: str


class Media(NamedTuple):
    """One attached media item; `file_name` is its name in the archive's media folder."""

    position: int
    kind: str
    file_name: str
    in_archive: bool
    alt_text: str
    url: str


class Tweet(NamedTuple):
    id: str
    created_at: datetime
    text: str
    lang: str
    is_retweet: bool
    reply_to_tweet_id: str
    reply_to_user_id: str
    reply_to_username: str
    quoted_tweet_id: str
    quoted_tweet_url: str
    mentions: tuple[Mention, ...]
    hashtags: tuple[str, ...]
    urls: tuple[str, ...]
    media: tuple[Media, ...]
    is_note: bool

    @property
    def is_reply(self) -> bool:
        return bool(self.reply_to_tweet_id)


@dataclass(frozen=True, slots=True)
class Counts:
    """What `envol archive inspect --json` reports; `tweets` includes retweets and replies."""

    following: int = 0
    follower: int = 0
    block: int = 0
    mute: int = 0
    tweets: int = 0
    retweets: int = 0
    replies: int = 0
    media: int = 0
    note_tweets: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class TweetPass:
    """What one pass over the tweets saw, or one shard of it: tallies, the long posts
    (notes) it joined, the media it found missing. Shards' passes add up to the whole's."""

    tally: dict[str, int]
    notes: int  # distinct notes in the archive (every shard reads them all)
    joined_notes: frozenset[str]
    missing_media: int

    @classmethod
    def merged(cls, passes: list[TweetPass]) -> TweetPass:
        tally: dict[str, int] = {}
        for one in passes:
            for key, value in one.tally.items():
                tally[key] = tally.get(key, 0) + value
        return cls(
            tally,
            max((one.notes for one in passes), default=0),
            frozenset().union(*(one.joined_notes for one in passes)),
            sum(one.missing_media for one in passes),
        )
