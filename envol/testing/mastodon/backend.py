"""Everything the handlers share: settings, memory, clock, rate limits and token checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from envol.testing.mastodon.entities import Presenter
from envol.testing.mastodon.ratelimit import DEFAULT_BUDGETS, Budget, Clock, RateLimiter, Window
from envol.testing.mastodon.records import Account, Token
from envol.testing.mastodon.store import Store

# docs: api/oauth-scopes — the umbrella scopes and what they grant.
_UMBRELLA_SCOPES = {
    "read": "read:",
    "write": "write:",
    "admin:read": "admin:read:",
    "admin:write": "admin:write:",
}
_FOLLOW_SCOPE_GRANTS = {"read:follows", "write:follows", "read:blocks", "write:blocks"}
_FOLLOW_SCOPE_GRANTS |= {"read:mutes", "write:mutes"}


@dataclass
class Settings:
    domain: str = "mastodon.test"
    max_characters: int = 500
    video_processing_seconds: float = 2.0  # how long a video answers 206 (server clock)
    # /oauth/authorize signs this user in and approves without a click (tests, sandbox demos).
    auto_approve_username: str | None = None
    follow_limit: int = 7500  # FollowLimitValidator::LIMIT
    budgets: dict[str, Budget] = field(default_factory=lambda: dict(DEFAULT_BUDGETS))
    # Epoch seconds the server's clock starts at (None: the wall clock): tests pin the hour.
    clock_start: float | None = None


class Backend:
    def __init__(self, settings: Settings, state_path: Path | None = None) -> None:
        self.settings = settings
        self.clock = Clock(settings.clock_start)
        self.store = Store(self.clock, state_path)
        self.limiter = RateLimiter(self.clock, settings.budgets)
        self.presenter = Presenter(self.store, settings.domain, settings.max_characters)
        # rel=me simulation: page URL -> profile URLs that page links back to.
        self.rel_me_pages: dict[str, set[str]] = {}

    def set_max_characters(self, value: int) -> None:
        self.settings.max_characters = value
        self.presenter.max_characters = value

    def authenticate(self, value: str | None) -> Token | None:
        if not value:
            return None
        token = self.store.tokens.get(value)
        if token is None or token.revoked:
            return None
        if token.account_id is not None:
            account = self.store.accounts.get(token.account_id)
            if account is None or account.suspended:
                return None
        return token

    def account_of(self, token: Token | None) -> Account | None:
        if token is None or token.account_id is None:
            return None
        return self.store.accounts.get(token.account_id)

    def throttle(self, method: str, path: str, token: Token | None, ip: str) -> list[Window]:
        """Count this API request in every throttle that matches it (rack-attack's order)."""
        if not path.startswith("/api"):
            return []
        windows = []
        user = token.account_id if token else None
        if user:
            windows.append(self.limiter.hit("api", user))
            if method == "POST" and path in ("/api/v1/media", "/api/v2/media"):
                windows.append(self.limiter.hit("media", user))
            is_status_delete = method == "DELETE" and _is_status_path(path)
            is_unreblog = method == "POST" and path.endswith("/unreblog")
            if is_status_delete or is_unreblog:
                windows.append(self.limiter.hit("deletes", user))
        else:
            windows.append(self.limiter.hit("unauthenticated_api", ip))
        return windows


def scopes_grant(granted: list[str], accepted: tuple[str, ...]) -> bool:
    """Whether a token with ``granted`` scopes may call a method accepting any of ``accepted``."""
    expanded = set(granted)
    if "follow" in expanded:
        expanded |= _FOLLOW_SCOPE_GRANTS
    for wanted in accepted:
        if wanted in expanded:
            return True
        for umbrella, prefix in _UMBRELLA_SCOPES.items():
            if umbrella in expanded and wanted.startswith(prefix):
                return True
    return False


def _is_status_path(path: str) -> bool:
    parts = path.strip("/").split("/")
    return len(parts) == 4 and parts[:3] == ["api", "v1", "statuses"] and parts[3].isdigit()
