"""One wrapper for every handler: parameters, token, throttles, errors and headers.

Order follows Mastodon: rack-attack counts the request first (and may answer 429 before anything
else), then Doorkeeper checks the token and its scopes, then ``require_user!``, then the action.
Error bodies are Mastodon's: docs: entities/Error.
"""

from __future__ import annotations

import email.utils
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from envol.testing.mastodon.backend import Backend, scopes_grant
from envol.testing.mastodon.params import BadRequest, parse
from envol.testing.mastodon.ratelimit import Window
from envol.testing.mastodon.records import Account, Token

INVALID_TOKEN = "The access token is invalid"
OUT_OF_SCOPE = "This action is outside the authorized scopes"
NEEDS_USER = "This method requires an authenticated user"
NOT_FOUND = "Record not found"
NOT_ALLOWED = "This action is not allowed"
TOO_MANY_REQUESTS = "Too many requests"


class ApiError(Exception):
    def __init__(
        self, status: int, error: str | dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(error)
        self.status = status
        self.body = error if isinstance(error, dict) else {"error": error}
        self.headers = headers or {}


def validation_failed(*messages: str) -> ApiError:
    """ActiveRecord::RecordInvalid as Mastodon renders it (422)."""
    return ApiError(422, "Validation failed: " + ", ".join(messages))


def not_found() -> ApiError:
    return ApiError(404, NOT_FOUND)


class Auth(Enum):
    NONE = "none"  # public, token ignored
    OPTIONAL = "optional"  # authorize_if_got_token!
    REQUIRED = "required"  # doorkeeper_authorize!


@dataclass
class Reply:
    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str = "application/json"


@dataclass
class Call:
    backend: Backend
    request: Request
    params: dict[str, Any]
    token: Token | None
    windows: list[Window]
    family: str | None = None  # a RateLimiter family whose headers may replace the throttle's

    @property
    def account(self) -> Account | None:
        return self.backend.account_of(self.token)

    @property
    def user(self) -> Account:
        account = self.account
        if account is None:
            raise ApiError(422, NEEDS_USER)
        return account

    def param(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)

    def path(self, name: str) -> str:
        return str(self.request.path_params[name])

    @property
    def base_url(self) -> str:
        return str(self.request.base_url).rstrip("/")


Handler = Callable[[Call], Reply]


def endpoint(
    backend: Backend,
    handler: Handler,
    *,
    auth: Auth,
    scopes: tuple[str, ...] = (),
    user: bool = False,
    family: str | None = None,
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap ``handler`` in Mastodon's request pipeline."""

    async def run(request: Request) -> Response:
        body = await request.body()
        header = request.headers.get("authorization", "")
        bearer = header[7:].strip() if header.lower().startswith("bearer ") else None
        try:
            params = parse(request.url.query, request.headers.get("content-type", ""), body)
        except BadRequest as error:
            return _respond(backend, Reply({"error": str(error)}, 422), [])
        bearer = bearer or params.get("access_token")
        token = backend.authenticate(bearer)
        ip = request.client.host if request.client else "unknown"
        windows = backend.throttle(request.method, request.url.path, token, ip)
        exceeded = next((w for w in windows if w.exceeded), None)
        if exceeded is not None:
            backend.store.counters["throttled"] += 1
            headers = {**exceeded.headers(), "X-RateLimit-Remaining": "0"}
            return _respond(backend, Reply({"error": TOO_MANY_REQUESTS}, 429, headers), [])
        call = Call(backend, request, params, token, windows, family)
        try:
            _authorize(call, auth, scopes, user)
            with backend.store.lock:
                reply = handler(call)
                if request.method != "GET":
                    backend.store.save()
        except ApiError as error:
            reply = Reply(error.body, error.status, error.headers)
        return _respond(backend, reply, windows, call)

    return run


def _authorize(call: Call, auth: Auth, scopes: tuple[str, ...], user: bool) -> None:
    if auth is Auth.NONE:
        call.token = None
        return
    if call.token is None:
        if auth is Auth.REQUIRED:
            raise ApiError(401, INVALID_TOKEN)
        return  # an unknown token on a public method reads as no token, like Doorkeeper
    if scopes and not scopes_grant(call.token.scopes, scopes):
        raise ApiError(403, OUT_OF_SCOPE)
    if user and call.account is None:
        raise ApiError(422, NEEDS_USER)


def _respond(
    backend: Backend, reply: Reply, windows: list[Window], call: Call | None = None
) -> Response:
    headers = {
        "Cache-Control": "no-cache, no-store, max-age=0, must-revalidate",
        "Date": email.utils.formatdate(backend.clock.now(), usegmt=True),
    }
    if windows:
        most_limited = min(windows, key=lambda w: w.limit - w.count)
        headers.update(most_limited.headers())
    if call is not None and call.family and call.account is not None:
        family_window = backend.limiter.peek(call.family, call.account.id)
        current = int(headers.get("X-RateLimit-Remaining", family_window.remaining))
        if "X-RateLimit-Remaining" not in headers or family_window.remaining <= current:
            headers.update(family_window.headers())
    headers.update(reply.headers)
    if reply.media_type == "application/json":
        content = json.dumps(reply.body, ensure_ascii=False).encode("utf-8")
    else:
        content = reply.body.encode("utf-8") if isinstance(reply.body, str) else reply.body
    return Response(content, reply.status, headers, media_type=reply.media_type)
