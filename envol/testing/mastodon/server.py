"""``MastodonTestServer``: the app served by uvicorn on 127.0.0.1 in a background thread."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from envol.testing.mastodon import control
from envol.testing.mastodon.app import build_app
from envol.testing.mastodon.backend import Backend, Settings
from envol.testing.mastodon.statuses import publish_due


class MastodonTestServer:
    """A Mastodon stand-in for tests and sandbox demos; see the package docstring.

    >>> with MastodonTestServer.start() as server:          # doctest: +SKIP
    ...     account, token = server.create_account("alice")
    """

    def __init__(self, settings: Settings, state_path: Path | None = None) -> None:
        self.backend = Backend(settings, state_path)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @classmethod
    def start(
        cls,
        domain: str = "mastodon.test",
        *,
        port: int = 0,
        state_path: Path | str | None = None,
        **settings: Any,
    ) -> MastodonTestServer:
        """Serve on 127.0.0.1, on a free port unless ``port``; ``settings``: ``Settings`` fields."""
        server = cls(Settings(domain=domain, **settings), Path(state_path) if state_path else None)
        server._serve(port)
        return server

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def domain(self) -> str:
        return self.backend.settings.domain

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.backend.store.save()
        self._server = self._thread = None

    def __enter__(self) -> MastodonTestServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # test helpers (not part of Mastodon's API)

    def create_account(self, username: str, **fields: Any) -> tuple[dict[str, Any], str]:
        """A local account and a user token with read write follow push."""
        account, token = control.create_account(self.backend, username, **fields)
        with self.backend.store.lock:
            return self.backend.presenter.account(account), token.value

    def add_remote_account(self, acct: str, **fields: Any) -> dict[str, Any]:
        """``user@other.example``; ``known``: in the DB already, else only WebFinger finds it."""
        account = control.add_remote_account(self.backend, acct, **fields)
        with self.backend.store.lock:
            return self.backend.presenter.account(account)

    def seed_status(self, acct: str, text: str, **fields: Any) -> dict[str, Any]:
        status = control.seed_status(self.backend, self._account(acct), text, **fields)
        with self.backend.store.lock:
            return self.backend.presenter.status(status)

    def seed_favourite(self, acct: str, status_id: str) -> None:
        control.seed_favourite(self.backend, self._account(acct), status_id)

    def seed_reblog(self, acct: str, status_id: str) -> dict[str, Any]:
        """``acct`` boosts the status (once), as if long ago (no rate limit)."""
        store = self.backend.store
        with store.lock:
            existing = store.reblog_between(self._account(acct).id, status_id)
            if existing is not None:
                return self.backend.presenter.status(existing)
        return self.seed_status(acct, "", reblog_of_id=status_id)

    def seed_follow(self, follower: str, target: str) -> None:
        control.seed_follow(self.backend, self._account(follower), self._account(target))

    def seed_block(self, blocker: str, blocked: str) -> None:
        control.seed_block(self.backend, self._account(blocker), self._account(blocked))

    def following(self, acct: str) -> list[str]:
        """Addresses the account really follows (follow requests excluded)."""
        store, presenter = self.backend.store, self.backend.presenter
        with store.lock:
            follows = store.follows_of(self._account(acct).id)
            return [presenter.acct(store.accounts[f.target_id]) for f in follows]

    def statuses(self, acct: str) -> list[dict[str, Any]]:
        store = self.backend.store
        with store.lock:
            publish_due(self.backend)  # as the scheduler would have by now
            account = self._account(acct)
            own = store.statuses_of(account.id)
            return [self.backend.presenter.status(s) for s in sorted(own, key=lambda s: int(s.id))]

    @property
    def counters(self) -> dict[str, int]:
        """Effects actually applied: follows_created, follows_repeated, statuses_created…"""
        with self.backend.store.lock:
            publish_due(self.backend)
            return dict(self.backend.store.counters)

    def advance_clock(self, seconds: float) -> None:
        self.backend.clock.advance(seconds)

    def now(self) -> dt.datetime:
        """The server's clock (the wall clock moved by `advance_clock` and `start_window`)."""
        return self.backend.clock.utcnow()

    def start_window(self, period: int, margin: float = 1.0) -> None:
        """Move the clock to `margin` seconds into the next window of `period` seconds.

        Windows are aligned on multiples of their period since the epoch (as Mastodon's are), so
        a test that counts requests within one window calls this first: otherwise it would fail
        whenever a window happens to end while it runs (at midnight UTC for the daily ones).
        """
        clock = self.backend.clock
        clock.advance(-clock.now() % period + margin)

    def set_budget(self, name: str, limit: int, period: int | None = None) -> None:
        """Change a budget: api, unauthenticated_api, media, deletes, follows or statuses."""
        self.backend.limiter.set_budget(name, limit, period)

    def reset_rate_limits(self) -> None:
        self.backend.limiter.reset()

    def set_max_characters(self, value: int) -> None:
        self.backend.set_max_characters(value)

    def auto_approve(self, username: str | None) -> None:
        """Let /oauth/authorize sign ``username`` in and approve at once (None: show the form)."""
        self.backend.settings.auto_approve_username = username

    def add_rel_me_page(self, page_url: str, profile_url: str) -> None:
        """Pretend ``page_url`` carries ``<a rel="me" href="profile_url">``: fields verify."""
        self.backend.rel_me_pages.setdefault(page_url, set()).add(profile_url)

    def _account(self, acct: str) -> Any:
        username, _, domain = acct.lstrip("@").partition("@")
        if domain.lower() == self.domain.lower():
            domain = ""
        account = self.backend.store.find_account(username, domain or None)
        if account is None:
            raise KeyError(f"no account {acct!r} on the test server")
        return account

    # serving

    def _serve(self, port: int) -> None:
        # uvicorn binds (a socket made here would lack IPPROTO_TCP, so asyncio would leave Nagle
        # on and every response would wait ~40 ms for a delayed ACK).
        config = uvicorn.Config(
            build_app(self.backend),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            server_header=False,
            date_header=False,  # the app sends Date from its own (movable) clock
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, name="mastodon-test-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the Mastodon test server did not start on port {port}")
            time.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
