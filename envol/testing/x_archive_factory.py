"""Deterministic synthetic X archives, with the records a correct reader must return.

`XArchiveFactory(ArchiveSpec(seed=…, tweets=…))` produces the files of an archive in either
layout (new `tweets.js` + `tweets_media/`, old `tweet.js` + `tweet_media/`), multi-part, with or
without `manifest.js`, wrapped or bare tweets, and the hard cases: HTML entities, t.co links,
media with alt text, long posts in `note-tweet.js`, replies, self-threads, retweets, quotes,
mentions, hashtags and unicode of all kinds. `write_zip` / `write_folder` / `zip_bytes` stream the
files out (200k tweets take seconds, not minutes); `expected()` rebuilds, from the same seed, the
records the reader should yield — computed from the generator's own plan, not by the reader's code.
"""

from __future__ import annotations

import html
import io
import os
import random
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Literal

import orjson

from envol.archives.x_records import (
    Account,
    Counts,
    ListKind,
    ListRef,
    Media,
    Mention,
    Profile,
    RelationKind,
    Tweet,
)

WORDS = (
    "bonjour",
    "mairie",
    "café",
    "naïve",
    "Noël",
    "e\u0301te\u0301",
    "ﬁnance",
    "Straße",
    "👩‍👩‍👧‍👦",
    "🇫🇷",
    "🏳️‍🌈",
    "👍🏽",
    "😀",
    "日本語",
    "中文字",
    "한국어",
    "مرحبا",
    "שלום",
    "Ελληνικά",
    "Кириллица",
    "a&b",
    "<b>gras</b>",
    "x > y",
    "1 < 2",
    '"citation"',
    "l'été",
    "&amp;",
    "&lt;3",
    "100 %",
    "tab\there",
    "ligne\nsuivante",
    "ok",
    "réunion",
    "conseil",
)
DISPLAY_NAMES = ("Mairie de Trégastel 🇫🇷", "Ville d'Évry", "市役所 « Rennes »")
HASHTAGS = ("Bretagne", "café", "OpenData", "日本", "Élections2024", "SDG")
MEDIA_KINDS = ("photo", "photo", "photo", "video", "animated_gif")
TCO_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
TWEET_ID_BASE = 1_300_000_000_000_000_000
NOTE_ID_BASE = 1_700_000_000_000_000_000
USER_ID_BASE = 10_000_000
FIRST_TWEET_AT = datetime(2015, 3, 1, 8, 0, 0, tzinfo=UTC)
JSON_INDENT = orjson.OPT_INDENT_2
BATCH = 1000
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class ArchiveSpec:
    """What to generate. `texts` forces the bodies of the first tweets (plain, no entities)."""

    seed: int = 0
    tweets: int = 30
    following: int = 10
    followers: int = 10
    blocks: int = 2
    mutes: int = 2
    lists_created: int = 1
    lists_member: int = 2
    layout: Literal["new", "old"] = "new"
    tweet_parts: int = 1
    manifest: bool = True
    wrapped: bool = True
    ids_as_strings: bool = True
    media_files: bool = True
    root_folder: str = ""
    unknown_types: bool = True
    texts: tuple[str, ...] = ()


@dataclass
class ExpectedArchive:
    account: Account
    profile: Profile
    relations: dict[RelationKind, list[str]]
    lists: list[ListRef]
    tweets: list[Tweet]
    counts: Counts
    warning_codes: list[str]


_Member = tuple[str, Iterable[bytes]]


@dataclass
class _Sample:
    """One generated tweet: what goes in the archive and what the reader must make of it."""

    raw: dict[str, Any]
    expected: Tweet
    note: dict[str, Any] | None
    media_files: list[str] = field(default_factory=list)


def _tweet_date(moment: datetime) -> str:
    return (
        f"{WEEKDAY_NAMES[moment.weekday()]} {MONTH_NAMES[moment.month - 1]} {moment.day:02d} "
        f"{moment:%H:%M:%S} +0000 {moment.year}"
    )


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _escape(text: str) -> str:
    """X's escaping of tweet text: only &, < and >."""
    return html.escape(text, quote=False)


class XArchiveFactory:
    def __init__(self, spec: ArchiveSpec) -> None:
        self.spec = spec
        rng = random.Random(spec.seed)
        self.account = Account(
            id=str(USER_ID_BASE + rng.randrange(1, 9_000_000)),
            username=f"ville_{spec.seed % 10_000}",
            display_name=rng.choice(DISPLAY_NAMES),
            created_at=datetime(2010, 5, 17, 9, 30, 12, tzinfo=UTC),
        )
        self.profile = Profile(
            bio="Compte officiel — infos & services 🏛️ <municipaux>",
            website="https://t.co/Ab12Cd34Ef",
            location="Bretagne, France",
            avatar_url="https://pbs.twimg.com/profile_images/1/avatar.jpg",
            header_url="https://pbs.twimg.com/profile_banners/1/1500000000",
        )
        self._tweet_name = "tweets" if spec.layout == "new" else "tweet"
        self.media_folder = "tweets_media" if spec.layout == "new" else "tweet_media"
        self._notes: list[dict[str, Any]] = []

    # --- ids and plans ------------------------------------------------------------------------

    def relation_ids(self, kind: RelationKind) -> list[str]:
        size = {
            RelationKind.FOLLOWING: self.spec.following,
            RelationKind.FOLLOWER: self.spec.followers,
            RelationKind.BLOCK: self.spec.blocks,
            RelationKind.MUTE: self.spec.mutes,
        }[kind]
        offset = {"following": 1, "follower": 2, "block": 3, "mute": 4}[kind.value]
        return [str(USER_ID_BASE * offset * 10 + i * 7 + self.spec.seed % 5) for i in range(size)]

    def list_refs(self) -> list[ListRef]:
        created = [
            ListRef(ListKind.CREATED, f"https://twitter.com/i/lists/{900_000 + i}")
            for i in range(self.spec.lists_created)
        ]
        member = [
            ListRef(ListKind.MEMBER, f"https://twitter.com/i/lists/{800_000 + i}")
            for i in range(self.spec.lists_member)
        ]
        return created + member

    @staticmethod
    def tweet_id(index: int) -> str:
        return str(TWEET_ID_BASE + index * 1_000_003)

    def _samples(self) -> Iterator[_Sample]:
        rng = random.Random(self.spec.seed * 7919 + 1)
        for index in range(self.spec.tweets):
            yield self._sample(index, rng)

    def _sample(self, index: int, rng: random.Random) -> _Sample:
        tweet_id = self.tweet_id(index)
        moment = FIRST_TWEET_AT + timedelta(seconds=index * 3607 + rng.randrange(0, 600))
        tco = _ShortLinks(rng)
        if index < len(self.spec.texts):
            text = _Text.verbatim(self.spec.texts[index])
            return self._assemble(tweet_id, moment, text, rng, kind="plain", decorate=False)
        roll = rng.random()
        if roll < 0.10:
            kind = "retweet"
        elif roll < 0.25:
            kind = "reply"
        elif roll < 0.33 and index > 0:
            kind = "self_reply"
        elif roll < 0.40:
            kind = "note"
        else:
            kind = "plain"
        words = 40 if kind == "note" else rng.randrange(2, 9)
        text = _Text.random(rng, words, tco, with_entities=True)
        return self._assemble(tweet_id, moment, text, rng, kind=kind, tco=tco)

    def _assemble(
        self,
        tweet_id: str,
        moment: datetime,
        text: _Text,
        rng: random.Random,
        *,
        kind: str,
        tco: _ShortLinks | None = None,
        decorate: bool = True,
    ) -> _Sample:
        """Dress a body as a tweet of `kind`; `decorate` adds random quotes and media."""
        tco = tco or _ShortLinks(rng)
        raw_text, expected_text = text.raw, text.plain
        mentions = list(text.mentions)
        reply = ("", "", "")
        is_retweet = False
        if kind == "retweet":
            target = f"user_{rng.randrange(1000)}"
            raw_text, expected_text = f"RT @{target}: {raw_text}", f"RT @{target}: {expected_text}"
            mentions.insert(0, Mention(str(USER_ID_BASE + 5 + len(target)), target))
            is_retweet = True
        elif kind == "reply":
            target = f"agent_{rng.randrange(1000)}"
            target_id = str(USER_ID_BASE * 3 + rng.randrange(1000))
            raw_text, expected_text = f"@{target} {raw_text}", f"@{target} {expected_text}"
            mentions.insert(0, Mention(target_id, target))
            reply = (str(int(tweet_id) - 17), target_id, target)
        elif kind == "self_reply":
            reply = (str(int(tweet_id) - 1_000_003), self.account.id, self.account.username)
        urls = list(text.urls)

        if kind == "plain" and decorate and rng.random() < 0.2:
            quoted_id = str(TWEET_ID_BASE - rng.randrange(1, 10**9))
            quote_url = f"https://x.com/someone_{rng.randrange(99)}/status/{quoted_id}"
            short = tco.new(quote_url)
            raw_text, expected_text = f"{raw_text} {short}", f"{expected_text} {quote_url}"
            urls.append((short, quote_url))

        note = None
        hashtags = list(text.hashtags)
        if kind == "note":
            # The tweet carries the entities of its visible part; the note those of the whole
            # text, without user ids. A reader joins them, first seen first.
            note, raw_text, urls, mentions = self._note(tweet_id, moment, text, tco)
            hidden = [Mention("", m.username) for m in text.mentions]
            expected_mentions = _unique_mentions(list(text.visible_mentions) + hidden)
            expected_urls = list(
                dict.fromkeys([u for _s, u in text.visible_urls] + [u for _s, u in text.urls])
            )
            expected_hashtags = _first_seen(text.visible_hashtags + hashtags, str.lower)
            hashtags = list(text.visible_hashtags)
        else:
            expected_mentions = mentions
            expected_urls = [url for _short, url in urls]
            expected_hashtags = hashtags

        media: list[Media] = []
        media_entities: list[dict[str, Any]] = []
        written: list[str] = []
        if kind != "note" and decorate and rng.random() < 0.2:
            media, media_entities, media_short = self._media(tweet_id, rng, tco, is_retweet)
            raw_text = f"{raw_text} {media_short}"
            expected_text = expected_text.strip()
            written = [m.file_name for m in media if m.in_archive]

        quote = next((url for url in expected_urls if "/status/" in url and "/i/" not in url), "")
        expected = Tweet(
            id=tweet_id,
            created_at=moment,
            text=expected_text,
            lang=rng.choice(("fr", "en", "und", "ja", "ar")),
            is_retweet=is_retweet or raw_text.startswith("RT @"),
            reply_to_tweet_id=reply[0],
            reply_to_user_id=reply[1],
            reply_to_username=reply[2],
            quoted_tweet_id=quote.rsplit("/", 1)[-1] if quote else "",
            quoted_tweet_url=quote,
            mentions=tuple(expected_mentions),
            hashtags=tuple(expected_hashtags),
            urls=tuple(expected_urls),
            media=tuple(media),
            is_note=note is not None,
        )
        raw = self._raw_tweet(expected, raw_text, urls, mentions, hashtags, media_entities)
        return _Sample(raw, expected, note, written)

    def _note(
        self, tweet_id: str, moment: datetime, text: _Text, tco: _ShortLinks
    ) -> tuple[dict[str, Any], str, list[tuple[str, str]], list[Mention]]:
        """A long post: the tweet shows its first words and a self-link; the note has it all."""
        self_link = f"https://twitter.com/i/web/status/{tweet_id}"
        short = tco.new(self_link)
        raw_text = f"{text.visible_raw}… {short}"
        urls = [*text.visible_urls, (short, self_link)]
        note = {
            "noteTweet": {
                "noteTweetId": str(NOTE_ID_BASE + int(tweet_id) % 10**12),
                "updatedAt": _iso(moment),
                "lifecycle": {"value": "ok", "name": "ok", "originalName": "ok"},
                "createdAt": _iso(moment),
                "core": {
                    "styletags": [],
                    "urls": [
                        {"shortUrl": s, "expandedUrl": u, "displayUrl": u[8:30]}
                        for s, u in text.urls
                    ],
                    "text": text.raw,
                    "mentions": [{"screenName": m.username} for m in text.mentions],
                    "cashtags": [],
                    "hashtags": [{"text": h} for h in text.hashtags],
                },
            }
        }
        return note, raw_text, urls, list(text.visible_mentions)

    def _media(
        self, tweet_id: str, rng: random.Random, tco: _ShortLinks, is_retweet: bool
    ) -> tuple[list[Media], list[dict[str, Any]], str]:
        short = tco.new(f"https://x.com/{self.account.username}/status/{tweet_id}/photo/1")
        records: list[Media] = []
        entities: list[dict[str, Any]] = []
        for position in range(rng.randrange(1, 5)):
            kind = rng.choice(MEDIA_KINDS)
            key = "".join(rng.choices(TCO_ALPHABET, k=15))
            entity: dict[str, Any] = {
                "expanded_url": f"https://x.com/{self.account.username}/status/{tweet_id}/photo/1",
                "indices": ["0", "23"],
                "url": short,
                "id_str": str(int(tweet_id) + position + 1),
                "type": kind,
                "display_url": "pic.x.com/abc",
            }
            if kind == "photo":
                media_url = f"https://pbs.twimg.com/media/{key}.jpg"
                basename = f"{key}.jpg"
            else:
                folder = "tweet_video" if kind == "animated_gif" else "ext_tw_video"
                media_url = f"https://pbs.twimg.com/{folder}_thumb/{key}.jpg"
                best = f"{key}-hd.mp4"
                entity["video_info"] = {
                    "aspect_ratio": ["16", "9"],
                    "variants": [
                        {
                            "bitrate": "832000",
                            "content_type": "video/mp4",
                            "url": f"https://video.twimg.com/{folder}/{key}/vid/640x360/{key}.mp4?tag=12",
                        },
                        {
                            "content_type": "application/x-mpegURL",
                            "url": f"https://video.twimg.com/{folder}/{key}/pl/{key}.m3u8",
                        },
                        {
                            "bitrate": "2176000",
                            "content_type": "video/mp4",
                            "url": f"https://video.twimg.com/{folder}/{key}/vid/1280x720/{best}?tag=12",
                        },
                    ],
                }
                basename = best
            entity["media_url"] = media_url.replace("https://", "http://")
            entity["media_url_https"] = media_url
            alt = rng.choice(("", "Photo de la mairie 🏛️ & du port", "Graphique : budget < 2024"))
            if alt:
                entity["ext_alt_text"] = alt
            file_name = f"{tweet_id}-{basename}"
            records.append(
                Media(
                    position=position,
                    kind=kind,
                    file_name=file_name,
                    in_archive=self.spec.media_files and not is_retweet,
                    alt_text=alt,
                    url=media_url,
                )
            )
            entities.append(entity)
        return records, entities, short

    def _raw_tweet(
        self,
        expected: Tweet,
        raw_text: str,
        urls: list[tuple[str, str]],
        mentions: list[Mention],
        hashtags: list[str],
        media: list[dict[str, Any]],
    ) -> dict[str, Any]:
        ids_as_text = self.spec.ids_as_strings
        entities: dict[str, Any] = {
            "hashtags": [{"text": tag, "indices": ["0", "1"]} for tag in hashtags],
            "symbols": [],
            "user_mentions": [
                {
                    "name": f"Nom {m.username}",
                    "screen_name": m.username,
                    "indices": ["0", "9"],
                    "id_str": m.user_id,
                    "id": m.user_id,
                }
                for m in mentions
            ],
            "urls": [
                {"url": s, "expanded_url": u, "display_url": u[8:30], "indices": ["1", "24"]}
                for s, u in urls
            ],
        }
        if media:
            entities["media"] = [media[0]]
        tweet: dict[str, Any] = {
            "edit_info": {"initial": {"editTweetIds": [expected.id], "editsRemaining": "5"}},
            "retweeted": False,
            "source": '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>',
            "entities": entities,
            "display_text_range": ["0", str(len(raw_text))],
            "favorite_count": "3",
            "truncated": False,
            "retweet_count": "1",
            "created_at": _tweet_date(expected.created_at),
            "favorited": False,
            "full_text": raw_text,
            "lang": expected.lang,
        }
        if ids_as_text:
            tweet["id_str"] = expected.id
            tweet["id"] = expected.id
        else:
            tweet["id"] = int(expected.id)
        if media:
            tweet["extended_entities"] = {"media": media}
        if expected.reply_to_tweet_id:
            tweet["in_reply_to_status_id_str"] = expected.reply_to_tweet_id
            tweet["in_reply_to_status_id"] = expected.reply_to_tweet_id
            tweet["in_reply_to_user_id_str"] = expected.reply_to_user_id
            tweet["in_reply_to_user_id"] = expected.reply_to_user_id
            tweet["in_reply_to_screen_name"] = expected.reply_to_username
        return {"tweet": tweet} if self.spec.wrapped else tweet

    # --- files ---------------------------------------------------------------------------------

    def files(self) -> Iterator[tuple[str, Iterable[bytes]]]:
        """(member name, content chunks) for every file, streamed in archive order."""
        root = f"{self.spec.root_folder}data/"
        part_names: dict[str, list[tuple[str, str, int]]] = {}

        def data_file(data_type: str, stem: str, elements: list[Any]) -> _Member:
            name = f"{stem}.js"
            part_names[data_type] = [(f"data/{name}", f"YTD.{data_type}.part0", len(elements))]
            return f"{root}{name}", _assignment(f"window.YTD.{data_type}.part0", [elements])

        self._notes = []
        media_written: list[str] = []
        yield data_file("account", "account", [{"account": self._raw_account()}])
        yield data_file("profile", "profile", [{"profile": self._raw_profile()}])
        for kind, data_type, key in (
            (RelationKind.FOLLOWING, "following", "following"),
            (RelationKind.FOLLOWER, "follower", "follower"),
            (RelationKind.BLOCK, "block", "blocking"),
            (RelationKind.MUTE, "mute", "muting"),
        ):
            elements = [
                {key: {"accountId": i, "userLink": f"https://twitter.com/intent/user?user_id={i}"}}
                for i in self.relation_ids(kind)
            ]
            yield data_file(data_type, data_type, elements)
        yield from self._tweet_files(root, part_names, media_written)
        yield data_file("note_tweet", "note-tweet", self._notes)
        for list_kind, data_type, stem in (
            (ListKind.CREATED, "lists_created", "lists-created"),
            (ListKind.MEMBER, "lists_member", "lists-member"),
        ):
            refs = [
                {"userListInfo": {"url": r.url}} for r in self.list_refs() if r.kind is list_kind
            ]
            yield data_file(data_type, stem, refs)
        if self.spec.unknown_types:
            likes = [{"like": {"tweetId": "1", "fullText": "liked", "expandedUrl": "https://x"}}]
            yield data_file("like", "like", likes)
        for file_name in media_written:
            yield f"{root}{self.media_folder}/{file_name}", [b"\xff\xd8\xff\xe0 fake media"]
        yield f"{self.spec.root_folder}Your archive.html", [b"<!doctype html><title>X</title>"]
        if self.spec.manifest:
            yield f"{root}manifest.js", [self._manifest(part_names)]

    def _tweet_files(
        self, root: str, part_names: dict[str, list[tuple[str, str, int]]], media: list[str]
    ) -> Iterator[tuple[str, Iterable[bytes]]]:
        samples = self._samples()
        parts = max(1, self.spec.tweet_parts)
        per_part = -(-self.spec.tweets // parts) if self.spec.tweets else 0
        listed: list[tuple[str, str, int]] = []
        for part in range(parts):
            size = max(0, min(per_part, self.spec.tweets - part * per_part))
            name = f"{self._tweet_name}.js" if part == 0 else f"{self._tweet_name}-part{part}.js"
            glob = f"YTD.{self._tweet_name}.part{part}"
            listed.append((f"data/{name}", glob, size))
            yield (
                f"{root}{name}",
                _assignment(f"window.{glob}", self._raw_batches(samples, size, media)),
            )
        part_names[self._tweet_name] = listed

    def _raw_batches(
        self, samples: Iterator[_Sample], size: int, media: list[str]
    ) -> Iterator[list[Any]]:
        remaining = size
        while remaining > 0:
            batch = []
            for sample in samples:
                batch.append(sample.raw)
                if sample.note is not None:
                    self._notes.append(sample.note)
                media.extend(sample.media_files)
                if len(batch) == min(BATCH, remaining):
                    break
            if not batch:
                return
            remaining -= len(batch)
            yield batch

    def _raw_account(self) -> dict[str, Any]:
        assert self.account.created_at is not None
        return {
            "email": "communication@example.org",
            "createdVia": "web",
            "username": self.account.username,
            "accountId": self.account.id,
            "createdAt": _iso(self.account.created_at),
            "accountDisplayName": self.account.display_name,
        }

    def _raw_profile(self) -> dict[str, Any]:
        return {
            "description": {
                "bio": self.profile.bio,
                "website": self.profile.website,
                "location": self.profile.location,
            },
            "avatarMediaUrl": self.profile.avatar_url,
            "headerMediaUrl": self.profile.header_url,
        }

    def _manifest(self, part_names: dict[str, list[tuple[str, str, int]]]) -> bytes:
        data_types: dict[str, Any] = {}
        for data_type, parts in part_names.items():
            camel = data_type.split("_")[0] + "".join(w.title() for w in data_type.split("_")[1:])
            entry: dict[str, Any] = {
                "files": [
                    {"fileName": name, "globalName": glob, "count": str(count)}
                    for name, glob, count in parts
                ]
            }
            if data_type == self._tweet_name:
                entry["mediaDirectory"] = f"data/{self.media_folder}"
            data_types[camel] = entry
        data_types["directMessagesMedia"] = {"mediaDirectory": "data/direct_messages_media"}
        config = {
            "userInfo": {
                "accountId": self.account.id,
                "userName": self.account.username,
                "displayName": self.account.display_name,
            },
            "archiveInfo": {"sizeBytes": "0", "generationDate": "2024-11-05T10:00:00.000Z"},
            "readmeInfo": {"fileName": "data/README.txt", "directory": "data/"},
            "dataTypes": data_types,
        }
        return b"window.__THAR_CONFIG = " + orjson.dumps(config, option=JSON_INDENT)

    # --- expected records ----------------------------------------------------------------------

    def expected(self) -> ExpectedArchive:
        tweets = [sample.expected for sample in self._samples()]
        relations = {kind: self.relation_ids(kind) for kind in RelationKind}
        warnings = ["unread_data_type"] if self.spec.unknown_types else []
        if any(not m.in_archive for t in tweets if not t.is_retweet for m in t.media):
            warnings.append("missing_media")
        counts = Counts(
            following=len(relations[RelationKind.FOLLOWING]),
            follower=len(relations[RelationKind.FOLLOWER]),
            block=len(relations[RelationKind.BLOCK]),
            mute=len(relations[RelationKind.MUTE]),
            tweets=len(tweets),
            retweets=sum(t.is_retweet for t in tweets),
            replies=sum(bool(t.reply_to_tweet_id) for t in tweets),
            media=sum(len(t.media) for t in tweets),
            note_tweets=sum(t.is_note for t in tweets),
        )
        return ExpectedArchive(
            self.account, self.profile, relations, self.list_refs(), tweets, counts, warnings
        )

    # --- writers -------------------------------------------------------------------------------

    def write_zip(self, target: str | os.PathLike[str] | BinaryIO, compresslevel: int = 1) -> None:
        with zipfile.ZipFile(
            target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
        ) as archive:
            for name, chunks in self.files():
                with archive.open(name, "w", force_zip64=True) as member:
                    for chunk in chunks:
                        member.write(chunk)

    def zip_bytes(self, compresslevel: int = 1) -> bytes:
        buffer = io.BytesIO()
        self.write_zip(buffer, compresslevel)
        return buffer.getvalue()

    def write_folder(self, target: str | os.PathLike[str]) -> Path:
        base = Path(target)
        for name, chunks in self.files():
            path = base / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as out:
                for chunk in chunks:
                    out.write(chunk)
        return base / self.spec.root_folder if self.spec.root_folder else base


def _assignment(global_name: str, batches: Iterable[list[Any]]) -> Iterator[bytes]:
    """`window.YTD.x.partN = [` + elements in X's two-space layout + `]`, batch by batch."""
    yield f"{global_name} = [".encode()
    first = True
    empty = True
    for batch in batches:
        if not batch:
            continue
        dumped = orjson.dumps(batch, option=JSON_INDENT)
        yield (b"\n" if first else b",\n") + dumped[2:-2]
        first = False
        empty = False
    yield b" ]" if empty else b"\n]"


class _ShortLinks:
    """Fresh, distinct t.co links for one tweet."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def new(self, _target: str) -> str:
        while True:
            link = "https://t.co/" + "".join(self._rng.choices(TCO_ALPHABET, k=10))
            if link not in self._used:
                self._used.add(link)
                return link


@dataclass
class _Text:
    """A tweet body in two renderings: as X stores it (`raw`) and as a reader must return it.

    For long posts, `visible_*` is the part the truncated tweet shows.
    """

    raw: str
    plain: str
    urls: list[tuple[str, str]] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    visible_raw: str = ""
    visible_urls: list[tuple[str, str]] = field(default_factory=list)
    visible_mentions: list[Mention] = field(default_factory=list)
    visible_hashtags: list[str] = field(default_factory=list)

    @classmethod
    def verbatim(cls, body: str) -> _Text:
        return cls(_escape(body), body, visible_raw=_escape(body))

    @classmethod
    def random(
        cls, rng: random.Random, words: int, tco: _ShortLinks, *, with_entities: bool
    ) -> _Text:
        raw_parts: list[str] = []
        plain_parts: list[str] = []
        entities: list[tuple[str, Any]] = []
        for _ in range(words):
            roll = rng.random() if with_entities else 1.0
            if roll < 0.08:
                user = f"citoyen_{rng.randrange(500)}"
                raw_parts.append(f"@{user}")
                plain_parts.append(f"@{user}")
                entities.append(("mention", Mention(str(USER_ID_BASE * 2 + len(user) * 31), user)))
            elif roll < 0.16:
                tag = rng.choice(HASHTAGS)
                raw_parts.append(f"#{tag}")
                plain_parts.append(f"#{tag}")
                entities.append(("hashtag", tag))
            elif roll < 0.22:
                url = f"https://example.org/actu/{rng.randrange(10**6)}?a=1&b=é"
                short = tco.new(url)
                raw_parts.append(short)
                plain_parts.append(url)
                entities.append(("url", (short, url)))
            else:
                word = rng.choice(WORDS)
                raw_parts.append(_escape(word))
                plain_parts.append(word)
                entities.append(("word", None))
        if entities[0][0] != "word":
            # Long posts must open with words: a reader recognises them by their first words.
            raw_parts.insert(0, "Communiqué")
            plain_parts.insert(0, "Communiqué")
            entities.insert(0, ("word", None))
        shown, length = 0, 0
        while shown < len(raw_parts) and length + len(plain_parts[shown]) < 200:
            length += len(plain_parts[shown]) + 1
            shown += 1
        visible = entities[: max(shown, 1)]

        def of_kind(items: list[tuple[str, Any]], kind: str) -> list[Any]:
            return [value for found, value in items if found == kind]

        return cls(
            raw=" ".join(raw_parts),
            plain=" ".join(plain_parts),
            urls=of_kind(entities, "url"),
            mentions=_unique_mentions(of_kind(entities, "mention")),
            hashtags=of_kind(entities, "hashtag"),
            visible_raw=" ".join(raw_parts[: max(shown, 1)]),
            visible_urls=of_kind(visible, "url"),
            visible_mentions=_unique_mentions(of_kind(visible, "mention")),
            visible_hashtags=of_kind(visible, "hashtag"),
        )


def _first_seen(items: list[Any], key: Any) -> list[Any]:
    kept: dict[Any, Any] = {}
    for item in items:
        kept.setdefault(key(item), item)
    return list(kept.values())


def _unique_mentions(mentions: list[Mention]) -> list[Mention]:
    return _first_seen(mentions, lambda mention: mention.username.lower())
