"""Mastodon behind the `Network` interface, on httpx.

Why httpx and not Mastodon.py (installed, 2.3.3): envol needs, on every response, the
`X-RateLimit-*` headers for its rate model, and must classify every failure the same way as the
other adapters (retry only what is safe). Mastodon.py keeps only the last call's limits, has its own
wait/throw policy, runs on `requests` (no injectable transport for tests), probes the instance
version on construction, and has no PKCE. The API surface used here is small and documented
(docs.joinmastodon.org, cited per method).

Exactly-once: every status is created with the caller's `Idempotency-Key` (Mastodon remembers it
one hour), so a retried create returns the same status; following is idempotent on Mastodon
(following twice answers the relationship), and `follow_many` checks relationships first so a
resumed job does not even send the call again.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from envol.networks import text
from envol.networks.base import (
    AccountMetrics,
    AuthError,
    Capabilities,
    FollowRequest,
    FollowResult,
    FollowStatus,
    Identity,
    InvalidContent,
    Media,
    Network,
    NetworkError,
    NetworkName,
    NotFound,
    OwnFollow,
    PostDraft,
    PostMetrics,
    ProfileUpdate,
    Publication,
    RateLimited,
    TextUnit,
    Transient,
    check_media,
)
from envol.networks.http import (
    DEFAULT_TIMEOUT,
    Retrier,
    error_for_status,
    error_message,
    http_transport,
    rate_limited,
    transport_errors,
)
from envol.networks.metrics import MASTODON_METRICS
from envol.networks.pkce import Pkce as Pkce  # re-exported: the OAuth callers import it here
from envol.networks.ratelimit import (
    Clock,
    RateBudget,
    RateTracker,
    mastodon_observation,
    mastodon_tracker,
    utc_now,
)

SCOPES = "read write"
OUT_OF_BAND = "urn:ietf:wg:oauth:2.0:oob"
PAGE_SIZE = 80  # the most /following returns per page
RELATIONSHIPS_PER_CALL = 40
MEDIA_READY_TIMEOUT_S = 60.0
MEDIA_POLL_S = 1.0
DEFAULT_DESCRIPTION_LIMIT = 1500

_NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


def normalise_instance(instance: str) -> str:
    """`mastodon.social`, `https://mastodon.social/` → `https://mastodon.social`."""
    value = instance.strip().rstrip("/")
    if "://" not in value:
        value = f"https://{value}"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{instance!r} is not a Mastodon instance address.")
    return f"{parts.scheme}://{parts.netloc}"


# --- OAuth (docs: methods/apps, methods/oauth) ------------------------------------------------


@dataclass(frozen=True)
class MastodonApp:
    """envol's OAuth application on one instance (registered once, stored per instance)."""

    instance: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    scopes: str = SCOPES


def _oauth_post(
    instance: str, path: str, data: Mapping[str, str], transport: httpx.BaseTransport | None
) -> dict[str, Any]:
    """A one-off form POST with no retry: registering or exchanging twice is not idempotent."""
    with httpx.Client(transport=http_transport(transport), timeout=DEFAULT_TIMEOUT) as client:
        response = transport_errors(lambda: client.post(f"{instance}{path}", data=dict(data)))
    if response.status_code == 429:
        raise rate_limited(response.headers, mastodon_observation(response.headers))
    if response.status_code >= 400:
        error = error_for_status(response.status_code, error_message(response))
        if response.status_code in (400, 401):  # invalid_grant, invalid_client
            raise AuthError(str(error))
        raise error
    body: dict[str, Any] = response.json()
    return body


def register_app(
    instance: str,
    redirect_uri: str,
    *,
    client_name: str = "envol",
    website: str | None = None,
    scopes: str = SCOPES,
    transport: httpx.BaseTransport | None = None,
) -> MastodonApp:
    """`POST /api/v1/apps` (docs: methods/apps#create). `scopes` are the most the app may
    ask; each authorisation may ask fewer (`dataclasses.replace(app, scopes=...)`)."""
    instance = normalise_instance(instance)
    data = {"client_name": client_name, "redirect_uris": redirect_uri, "scopes": scopes}
    if website:
        data["website"] = website
    body = _oauth_post(instance, "/api/v1/apps", data, transport)
    return MastodonApp(
        instance, str(body["client_id"]), str(body["client_secret"]), redirect_uri, scopes
    )


PROFILE_SCOPE_SINCE = (4, 3)  # docs: api/oauth-scopes#profile (added in 4.3.0)


def server_version(
    instance: str, *, transport: httpx.BaseTransport | None = None
) -> tuple[int, int]:
    """(major, minor) of the server's Mastodon version, from the public `/api/v2/instance`
    (docs: methods/instance#v2, `version`); (0, 0) when it does not say (a fork, an old server).
    Forks append to the version (`4.3.2+glitch`): only the leading numbers count."""
    instance = normalise_instance(instance)
    with httpx.Client(transport=http_transport(transport), timeout=DEFAULT_TIMEOUT) as client:
        response = transport_errors(lambda: client.get(f"{instance}/api/v2/instance"))
    if response.status_code >= 400:
        raise error_for_status(response.status_code, error_message(response))
    found = re.match(r"(\d+)\.(\d+)", str(response.json().get("version", "")))
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


def sign_in_scope(version: tuple[int, int]) -> str:
    """The narrowest scope that tells who signed in: `profile` (only verify_credentials) from
    4.3 on, `read:accounts` before (docs: api/oauth-scopes)."""
    return "profile" if version >= PROFILE_SCOPE_SINCE else "read:accounts"


def authorize_url(app: MastodonApp, *, state: str, pkce: Pkce | None = None) -> str:
    """Where to send the user (docs: methods/oauth#authorize). PKCE from Mastodon 4.3."""
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uri,
        "scope": app.scopes,
        "state": state,
    }
    if pkce is not None:
        params |= {"code_challenge": pkce.challenge, "code_challenge_method": "S256"}
    return f"{app.instance}/oauth/authorize?{urlencode(params)}"


def exchange_code(
    app: MastodonApp,
    code: str,
    *,
    pkce: Pkce | None = None,
    transport: httpx.BaseTransport | None = None,
) -> str:
    """The authorization code → a user access token (docs: methods/oauth#token)."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "redirect_uri": app.redirect_uri,
        "scope": app.scopes,
    }
    if pkce is not None:
        data["code_verifier"] = pkce.verifier
    return str(_oauth_post(app.instance, "/oauth/token", data, transport)["access_token"])


def revoke_token(
    app: MastodonApp, token: str, *, transport: httpx.BaseTransport | None = None
) -> bool:
    """Give a token back (docs: methods/oauth#revoke) when envol no longer needs it, e.g. the
    one that only said who signed in. Best effort: False when the server refused."""
    data = {"client_id": app.client_id, "client_secret": app.client_secret, "token": token}
    try:
        _oauth_post(app.instance, "/oauth/revoke", data, transport)
    except NetworkError:
        return False
    return True


# --- the adapter ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Relationship:
    """docs: entities/Relationship (the fields envol acts on)."""

    account_id: str
    following: bool
    requested: bool
    blocking: bool
    blocked_by: bool


class MastodonNetwork(Network):
    name = NetworkName.MASTODON

    def __init__(
        self,
        instance: str,
        access_token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        retrier: Retrier | None = None,
        clock: Clock = utc_now,
        rates: RateTracker | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.instance = normalise_instance(instance)
        self._http = httpx.Client(
            base_url=self.instance,
            transport=http_transport(transport),
            timeout=DEFAULT_TIMEOUT,
            headers={"Authorization": f"Bearer {access_token}", "User-Agent": "envol"},
        )
        self._retry = retrier or Retrier()
        self._clock = clock
        self._rates = rates or mastodon_tracker(clock)
        self._sleep = sleep
        self._instance_info: dict[str, Any] | None = None
        self._own_id: str | None = None

    def close(self) -> None:
        self._http.close()

    # -- plumbing --

    def _request(
        self,
        method: str,
        path: str,
        *,
        retry_safe: bool,
        action: str = "request",
        **kwargs: Any,
    ) -> httpx.Response:
        """One API call: counted in the budgets, retried only when safe, errors mapped."""

        def attempt() -> httpx.Response:
            self._rates.budget("request").spend(1)
            if action != "request":
                self._rates.budget(action).spend(1)
            response = transport_errors(lambda: self._http.request(method, path, **kwargs))
            self._observe(action, response.headers)
            if response.status_code == 429:
                raise rate_limited(
                    response.headers,
                    mastodon_observation(response.headers),
                    clock=self._clock,
                    message=error_message(response),
                )
            if response.status_code >= 400:
                raise error_for_status(
                    response.status_code, error_message(response), reason="validation"
                )
            if response.is_redirect:
                # The API never redirects; following would carry the token elsewhere.
                raise NetworkError(
                    f"{self.instance} answered {response.status_code} (redirect to "
                    f"{response.headers.get('location', '?')!r}): give the server's own address.",
                    code="redirect",
                )
            return response

        return self._retry(attempt, retry_safe=retry_safe)

    def _json(self, method: str, path: str, *, retry_safe: bool, **kwargs: Any) -> Any:
        return self._request(method, path, retry_safe=retry_safe, **kwargs).json()

    def _observe(self, action: str, headers: Mapping[str, str]) -> None:
        """Headers describe whichever throttle is tighter, the general one or the action's
        family (Mastodon's `override_rate_limit_headers`): file them under the general request
        budget when their limit is its, else under the action's own — also when that limit is
        not the published one (a server with a smaller family limit)."""
        observation = mastodon_observation(headers)
        if observation is None:
            return
        budget, general = self._rates.budget(action), self._rates.budget("request")
        limits = {p.limit for p in budget.policies()}
        if observation.limit not in limits and observation.limit in {
            p.limit for p in general.policies()
        }:
            budget = general
        budget.observe(observation)

    def rate_budget(self, action: str) -> RateBudget:
        return self._rates.budget(action)

    def _instance(self) -> dict[str, Any]:
        """`/api/v2/instance` (docs: methods/instance#v2), read once per adapter."""
        if self._instance_info is None:
            self._instance_info = dict(self._json("GET", "/api/v2/instance", retry_safe=True))
        return self._instance_info

    @property
    def domain(self) -> str:
        """The domain in the instance's addresses (`user@domain`); it may differ from the host
        the API is served on (Mastodon's LOCAL_DOMAIN vs WEB_DOMAIN)."""
        return str(self._instance().get("domain") or urlsplit(self.instance).netloc)

    def capabilities(self) -> Capabilities:
        """Limits from the instance's own configuration."""
        config = self._instance().get("configuration", {})
        statuses = config.get("statuses", {})
        media = config.get("media_attachments", {})
        return Capabilities(
            network=self.name,
            text_unit=TextUnit.GRAPHEMES,
            text_limit=int(statuses.get("max_characters", 500)),
            text_byte_limit=None,
            url_weight=int(statuses.get("characters_reserved_per_url", 23)),
            max_images=int(statuses.get("max_media_attachments", 4)),
            image_byte_limit=_int_or_none(media.get("image_size_limit")),
            alt_text_limit=int(media.get("description_limit", DEFAULT_DESCRIPTION_LIMIT)),
            threads=True,
            backdating=False,
            content_warning=True,
            link_cards=False,  # the instance builds the card from the first link itself
            max_langs=1,
            max_follow_batch=RELATIONSHIPS_PER_CALL,
            metrics=MASTODON_METRICS,
        )

    # -- identities --

    def _account(self, account: Mapping[str, Any]) -> Identity:
        acct = str(account.get("acct", ""))
        return Identity(
            self.name,
            str(account["id"]),
            acct if "@" in acct else f"{acct}@{self.domain}",
            display_name=str(account.get("display_name") or ""),
            url=str(account.get("url") or ""),
        )

    def whoami(self) -> Identity:
        """docs: methods/accounts#verify_credentials."""
        account = self._json("GET", "/api/v1/accounts/verify_credentials", retry_safe=True)
        self._own_id = str(account["id"])
        return self._account(account)

    def _own_account_id(self) -> str:
        return self._own_id or self.whoami().remote_id

    def resolve(self, handle: str) -> Identity:
        """`user@domain` → the account: lookup first (local cache, no WebFinger), then a search
        with `resolve=true`, which makes the instance fetch a remote account it has never seen
        (docs: methods/accounts#lookup, methods/search#v2)."""
        address = handle.strip().lstrip("@")
        user, _, domain = address.partition("@")
        if not user:
            raise NotFound(f"{handle!r} is not a Mastodon address.")
        acct = user if domain.lower() in ("", self.domain.lower()) else f"{user}@{domain}"
        try:
            return self._account(
                self._json("GET", "/api/v1/accounts/lookup", params={"acct": acct}, retry_safe=True)
            )
        except NotFound:
            pass
        found = self._json(
            "GET",
            "/api/v2/search",
            params={"q": f"@{acct}", "type": "accounts", "resolve": "true", "limit": 5},
            retry_safe=True,
        )
        for account in found.get("accounts", []):
            if str(account.get("acct", "")).lower() == acct.lower():
                return self._account(account)
        raise NotFound(f"No Mastodon account {address!r} could be found.")

    # -- follows --

    def list_follows(self) -> Iterator[OwnFollow]:
        """docs: methods/accounts#following, paginated by the `Link` header."""
        url: str | None = f"/api/v1/accounts/{self._own_account_id()}/following"
        params: dict[str, Any] | None = {"limit": PAGE_SIZE}
        while url:
            response = self._request("GET", url, params=params, retry_safe=True)
            for account in response.json():
                yield OwnFollow(subject=str(account["id"]), handle=self._account(account).handle)
            url, params = self._next_link(response.headers.get("link", "")), None

    def _next_link(self, link_header: str) -> str | None:
        """The next page, only on this instance: the token must never go to another host."""
        match = _NEXT_LINK.search(link_header)
        if match is None:
            return None
        if normalise_instance(match[1]) != self.instance:
            raise Transient(f"The instance sent a next page on another host: {match[1]!r}.")
        return match[1]

    def relationships(self, account_ids: Sequence[str]) -> dict[str, Relationship]:
        """docs: methods/accounts#relationships."""
        found: dict[str, Relationship] = {}
        for start in range(0, len(account_ids), RELATIONSHIPS_PER_CALL):
            chunk = list(account_ids[start : start + RELATIONSHIPS_PER_CALL])
            for item in self._json(
                "GET",
                "/api/v1/accounts/relationships",
                params=[("id[]", account_id) for account_id in chunk],
                retry_safe=True,
            ):
                found[str(item["id"])] = _relationship(item)
        return found

    def follow_many(self, requests: Sequence[FollowRequest]) -> list[FollowResult]:
        """Relationships first (one call per 40), then one follow per account not yet followed
        (docs: methods/accounts#follow). Following is idempotent here, so retries are safe."""
        known = self.relationships([r.subject for r in requests])
        results: list[FollowResult] = []
        for request in requests:
            try:
                results.append(self._follow_one(request, known.get(request.subject)))
            except RateLimited as limited:
                raise RateLimited(
                    limited.reset_at,
                    limited.retry_after,
                    message=str(limited),
                    completed=results,
                ) from limited
        return results

    def _follow_one(self, request: FollowRequest, known: Relationship | None) -> FollowResult:
        def result(status: FollowStatus, error: str = "") -> FollowResult:
            return FollowResult(request.subject, status, request.key, error=error)

        if known is not None:
            if known.following:
                return result(FollowStatus.ALREADY)
            if known.requested:
                return result(FollowStatus.REQUESTED)
            if known.blocked_by or known.blocking:
                return result(FollowStatus.BLOCKED)
        try:
            item = self._json(
                "POST",
                f"/api/v1/accounts/{request.subject}/follow",
                retry_safe=True,
                action="follow",
            )
        except NotFound as exc:
            return result(FollowStatus.NOT_FOUND, str(exc))
        except AuthError as exc:
            if exc.http_status != 403:  # 401: the token itself is refused
                raise
            return result(FollowStatus.BLOCKED, str(exc))  # blocked, or a follow cap reached
        except InvalidContent as exc:
            return result(FollowStatus.FAILED, str(exc))
        relationship = _relationship(item)
        if relationship.following:
            return result(FollowStatus.FOLLOWED)
        if relationship.requested:
            return result(FollowStatus.REQUESTED)
        return result(FollowStatus.FAILED, "The instance did not record the follow.")

    # -- statuses --

    def publish(self, draft: PostDraft, key: str) -> Publication:
        """docs: methods/statuses#create, with `Idempotency-Key: key`."""
        if not key:
            raise ValueError("A Mastodon status needs an idempotency key.")
        capabilities = self.capabilities()
        rules = text.TextRules.mastodon(capabilities.text_limit, capabilities.url_weight or 23)
        length = text.count(draft.text, rules, spoiler=draft.content_warning)
        if length > rules.limit:
            raise InvalidContent(
                "text_too_long", f"The text counts {length}; this instance allows {rules.limit}."
            )
        if draft.created_at is not None:
            raise InvalidContent("backdating_unsupported", "Mastodon cannot backdate a status.")
        if len(draft.langs) > capabilities.max_langs:
            raise InvalidContent("too_many_langs", "A Mastodon status has one language.")
        blobs = check_media(draft.media, capabilities)
        media_ids = [
            self._upload(media, data) for media, data in zip(draft.media, blobs, strict=True)
        ]
        body: dict[str, Any] = {"status": draft.text, "visibility": draft.visibility.value}
        if media_ids:
            body["media_ids"] = media_ids
        if draft.content_warning:
            body["spoiler_text"] = draft.content_warning
        if draft.langs:
            body["language"] = draft.langs[0]
        if draft.reply_to is not None:
            body["in_reply_to_id"] = draft.reply_to.remote_id
        status = self._json(
            "POST",
            "/api/v1/statuses",
            json=body,
            headers={"Idempotency-Key": key},
            retry_safe=True,
            action="status",
        )
        return Publication(
            self.name, str(status["uri"]), str(status["id"]), url=str(status.get("url") or "")
        )

    def _upload(self, media: Media, data: bytes) -> str:
        """docs: methods/media#v2. 200: ready; 202: processing, poll until it is not 206.
        A retried upload at worst leaves an unattached copy, which the instance deletes."""
        files = {"file": (_filename(media), data, media.mime)}
        form = {"description": media.alt}
        response = self._request(
            "POST", "/api/v2/media", files=files, data=form, retry_safe=True, action="media"
        )
        media_id = str(response.json()["id"])
        waited = 0.0
        while response.status_code in (202, 206) and waited < MEDIA_READY_TIMEOUT_S:
            self._sleep(MEDIA_POLL_S)
            waited += MEDIA_POLL_S
            response = self._request("GET", f"/api/v1/media/{media_id}", retry_safe=True)
        if response.status_code != 200:
            raise Transient("The instance is still processing the media: try again later.")
        return media_id

    def delete(self, publication: Publication) -> None:
        """docs: methods/statuses#delete; what is already gone is fine."""
        try:
            self._request(
                "DELETE",
                f"/api/v1/statuses/{publication.remote_id}",
                retry_safe=True,
                action="delete",
            )
        except NotFound:
            return

    # -- metrics and profile --

    def post_metrics(self, publications: Sequence[Publication]) -> list[PostMetrics]:
        """docs: methods/statuses#get, one status at a time (works on every version)."""
        metrics: list[PostMetrics] = []
        for publication in publications:
            now = self._clock()
            try:
                status = self._json(
                    "GET", f"/api/v1/statuses/{publication.remote_id}", retry_safe=True
                )
            except NotFound:
                metrics.append(PostMetrics(uri=publication.uri, fetched_at=now))
                continue
            metrics.append(
                PostMetrics(
                    uri=publication.uri,
                    fetched_at=now,
                    likes=_int_or_none(status.get("favourites_count")),
                    reposts=_int_or_none(status.get("reblogs_count")),
                    replies=_int_or_none(status.get("replies_count")),
                    quotes=_int_or_none(status.get("quotes_count")),
                )
            )
        return metrics

    def account_metrics(self) -> AccountMetrics:
        account = self._json("GET", "/api/v1/accounts/verify_credentials", retry_safe=True)
        return AccountMetrics(
            remote_id=str(account["id"]),
            fetched_at=self._clock(),
            followers=_int_or_none(account.get("followers_count")),
            following=_int_or_none(account.get("following_count")),
            posts=_int_or_none(account.get("statuses_count")),
        )

    def update_profile(self, update: ProfileUpdate) -> None:
        """docs: methods/accounts#update_credentials. The website goes in a profile field named
        "Website" (replaced if present, else added), the other fields are kept."""
        form: list[tuple[str, str]] = []
        if update.display_name is not None:
            form.append(("display_name", update.display_name))
        if update.description is not None:
            form.append(("note", update.description))
        if update.website is not None:
            account = self._json("GET", "/api/v1/accounts/verify_credentials", retry_safe=True)
            fields = [
                (str(f.get("name", "")), str(f.get("value", "")))
                for f in account.get("source", {}).get("fields", [])
            ]
            fields = [(n, v) for n, v in fields if n.lower() not in ("website", "site web")]
            fields = [("Website", update.website), *fields][:4]
            for index, (name, value) in enumerate(fields):
                form += [
                    (f"fields_attributes[{index}][name]", name),
                    (f"fields_attributes[{index}][value]", value),
                ]
        if form:
            self._request(
                "PATCH",
                "/api/v1/accounts/update_credentials",
                content=urlencode(form),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                retry_safe=True,
            )


# --- helpers ----------------------------------------------------------------------------------


def _relationship(item: Mapping[str, Any]) -> Relationship:
    return Relationship(
        account_id=str(item["id"]),
        following=bool(item.get("following")),
        requested=bool(item.get("requested")),
        blocking=bool(item.get("blocking")),
        blocked_by=bool(item.get("blocked_by")),
    )


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def _filename(media: Media) -> str:
    if media.path is not None:
        return media.path.name
    extension = media.mime.rsplit("/", 1)[-1].split("+")[0] or "bin"
    return f"image.{extension}"
