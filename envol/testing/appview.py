"""A whole Bluesky network on 127.0.0.1: PLC, PDS and the real AppView, for tests and the sandbox.

The AppView (`@atproto/bsky`, run by testservers/bluesky/server.mjs through `@atproto/dev-env`)
needs PostgreSQL: each network gets a throwaway cluster (`envol/testing/postgres.py`). It indexes
the PDS's firehose a moment after each write, and its counts (likes, reposts, followers) are
updated in the background after that: tests wait for what they expect with `wait_until` or
`wait_until_indexed`, which poll with a bounded timeout, and never assert how long it took.

The helpers write real records through the PDS (`com.atproto.repo.createRecord`), as a client
would: `post`, `reply`, `quote`, `like`, `repost`, `follow`, `delete`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from envol.testing.pds import PdsRequestError, PdsServer, TestAccount
from envol.testing.postgres import PostgresCluster

T = TypeVar("T")

DEFAULT_WAIT_SECONDS = 30.0
_POLL_SECONDS = 0.05


class IndexingTimeout(AssertionError):
    """The AppView did not show what was expected within the timeout."""


@dataclass(frozen=True)
class RecordRef:
    """A record written to the PDS: its AT URI and CID (a `com.atproto.repo.strongRef`).

    For a post, `root` is the thread's first post (itself for a post that replies to nothing).
    """

    uri: str
    cid: str
    root: RecordRef | None = None

    @property
    def strong_ref(self) -> dict[str, str]:
        return {"uri": self.uri, "cid": self.cid}

    @property
    def did(self) -> str:
        return self.uri.removeprefix("at://").split("/", 1)[0]

    @property
    def collection(self) -> str:
        return self.uri.removeprefix("at://").split("/")[1]

    @property
    def rkey(self) -> str:
        return self.uri.rsplit("/", 1)[1]


def now_iso() -> str:
    """A record's `createdAt`: UTC with milliseconds, as the Bluesky app writes it."""
    moment = dt.datetime.now(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class BlueskyNetwork:
    """PLC + PDS + AppView in one node process, the AppView on its own PostgreSQL cluster."""

    def __init__(self, pds: PdsServer, postgres: PostgresCluster) -> None:
        self.pds = pds
        self.postgres = postgres
        self._appview = httpx.Client(base_url=self.appview_url, timeout=30.0)

    @classmethod
    def start(cls, rate_limits: bool = False, **options: Any) -> BlueskyNetwork:
        """Start a cluster, then the servers; `options` are `PdsServer.start`'s (data_dir,
        pds_port, plc_port, appview_port, timeout), but for the AppView's database."""
        options.setdefault("timeout", 120.0)
        postgres = PostgresCluster.start()
        try:
            pds = PdsServer.start(rate_limits, appview_db=postgres.url, **options)
        except BaseException:
            postgres.stop()
            raise
        return cls(pds, postgres)

    @property
    def pds_url(self) -> str:
        return self.pds.url

    @property
    def appview_url(self) -> str:
        url = self.pds.appview_url
        assert url is not None, "this PDS runs without an AppView"
        return url

    def restart(self, *, fresh_database: bool = False, hard: bool = False) -> None:
        """Restart the servers on the same data and ports (see `PdsServer.restart`); with
        `fresh_database`, the AppView starts on an empty database and replays the PDS's
        history, as the sandbox's does at each start."""
        between = self.postgres.recreate_database if fresh_database else None
        self.pds.restart(hard=hard, while_stopped=between)

    def stop(self) -> None:
        self._appview.close()
        self.pds.stop()
        self.postgres.stop()

    # reading the AppView

    def appview(self, nsid: str, **params: Any) -> dict[str, Any]:
        """An unauthenticated app.bsky.* (or com.atproto.*) read on the AppView itself."""
        response = self._appview.get(f"/xrpc/{nsid}", params=params)
        if response.status_code != 200:
            raise PdsRequestError(nsid, response)
        body: dict[str, Any] = response.json()
        return body

    def wait_until(
        self,
        check: Callable[[], T | None],
        *,
        what: str,
        timeout: float = DEFAULT_WAIT_SECONDS,
    ) -> T:
        """Call `check` until it returns something truthy, which is returned; give up after
        `timeout` seconds with IndexingTimeout naming `what`. A PdsRequestError from `check`
        counts as "not yet" (the AppView answers 400 for an actor it has not indexed)."""
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while True:
            try:
                result = check()
                if result:
                    return result
            except PdsRequestError as error:
                last_error = error
            if time.monotonic() > deadline:
                detail = f" (last error: {last_error})" if last_error else ""
                raise IndexingTimeout(f"the AppView did not show {what} in {timeout:.0f} s{detail}")
            time.sleep(_POLL_SECONDS)

    def wait_until_indexed(
        self, record: RecordRef, *, timeout: float = DEFAULT_WAIT_SECONDS
    ) -> dict[str, Any]:
        """The record as the AppView serves it (`com.atproto.repo.getRecord`), once indexed.

        Counts derived from it (a like's `likeCount`) are updated a moment later: wait for
        those with `counts_of`."""
        return self.wait_until(
            lambda: self.appview(
                "com.atproto.repo.getRecord",
                repo=record.did,
                collection=record.collection,
                rkey=record.rkey,
                cid=record.cid,
            ),
            what=record.uri,
            timeout=timeout,
        )

    def profile(self, actor: TestAccount | str) -> dict[str, Any]:
        """`app.bsky.actor.getProfile` (followersCount, followsCount, postsCount…)."""
        return self.appview("app.bsky.actor.getProfile", actor=_did(actor))

    def post_view(self, post: RecordRef) -> dict[str, Any] | None:
        """The post as `app.bsky.feed.getPosts` shows it (likeCount, repostCount…), or None."""
        posts = self.appview("app.bsky.feed.getPosts", uris=post.uri)["posts"]
        return posts[0] if posts else None

    def counts_of(self, post: RecordRef, **expected: int) -> dict[str, Any]:
        """`post_view` once every expected count (likeCount=1…) shows: the AppView updates
        counts in the background after indexing a record."""

        def matches() -> dict[str, Any] | None:
            view = self.post_view(post)
            return view if view and all(view[k] == v for k, v in expected.items()) else None

        return self.wait_until(matches, what=f"{expected} on {post.uri}")

    # writing through the PDS

    def create_account(self, handle_prefix: str = "user", *, wait: bool = True) -> TestAccount:
        """A new account on the PDS; with `wait`, returned once the AppView has its profile."""
        account = self.pds.create_account(handle_prefix)
        if wait:
            self.wait_until(lambda: self.profile(account), what=f"the account {account.handle}")
        return account

    def create_record(
        self, account: TestAccount, collection: str, record: dict[str, Any]
    ) -> RecordRef:
        body = {
            "repo": account.did,
            "collection": collection,
            "record": {"$type": collection, "createdAt": now_iso(), **record},
        }
        with self.pds.client(account) as http:
            response = http.post("/xrpc/com.atproto.repo.createRecord", json=body)
        if response.status_code != 200:
            raise PdsRequestError("com.atproto.repo.createRecord", response)
        created = response.json()
        return RecordRef(created["uri"], created["cid"])

    def post(self, account: TestAccount, text: str, **fields: Any) -> RecordRef:
        """An `app.bsky.feed.post`; `fields` adds to the record (langs, createdAt, embed…)."""
        created = self.create_record(account, "app.bsky.feed.post", {"text": text, **fields})
        root = _root(fields) if "reply" in fields else None
        return RecordRef(created.uri, created.cid, root=root)

    def reply(self, account: TestAccount, parent: RecordRef, text: str) -> RecordRef:
        root = parent.root or parent
        reply = {"root": root.strong_ref, "parent": parent.strong_ref}
        created = self.create_record(account, "app.bsky.feed.post", {"text": text, "reply": reply})
        return RecordRef(created.uri, created.cid, root=root)

    def quote(self, account: TestAccount, subject: RecordRef, text: str) -> RecordRef:
        embed = {"$type": "app.bsky.embed.record", "record": subject.strong_ref}
        return self.post(account, text, embed=embed)

    def like(self, account: TestAccount, subject: RecordRef) -> RecordRef:
        return self.create_record(account, "app.bsky.feed.like", {"subject": subject.strong_ref})

    def repost(self, account: TestAccount, subject: RecordRef) -> RecordRef:
        return self.create_record(account, "app.bsky.feed.repost", {"subject": subject.strong_ref})

    def follow(self, account: TestAccount, subject: TestAccount | str) -> RecordRef:
        return self.create_record(account, "app.bsky.graph.follow", {"subject": _did(subject)})

    def delete(self, account: TestAccount, record: RecordRef) -> None:
        body = {"repo": account.did, "collection": record.collection, "rkey": record.rkey}
        with self.pds.client(account) as http:
            response = http.post("/xrpc/com.atproto.repo.deleteRecord", json=body)
        if response.status_code != 200:
            raise PdsRequestError("com.atproto.repo.deleteRecord", response)


def _did(actor: TestAccount | str) -> str:
    return actor.did if isinstance(actor, TestAccount) else actor


def _root(fields: dict[str, Any]) -> RecordRef:
    root = fields["reply"]["root"]
    return RecordRef(root["uri"], root["cid"])
