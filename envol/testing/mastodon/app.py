"""The Starlette application: Mastodon's routes (as documented) plus ``/_test`` controls."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from envol.testing.mastodon import accounts, control, interactions, media, oauth, statuses
from envol.testing.mastodon.backend import Backend
from envol.testing.mastodon.http import NOT_FOUND, Auth, Call, Handler, Reply, endpoint

READ_ACCOUNTS = ("read", "read:accounts")
READ_FOLLOWS = ("read", "read:follows", "follow")
WRITE_FOLLOWS = ("follow", "write", "write:follows")
READ_STATUSES = ("read", "read:statuses")
WRITE_STATUSES = ("write", "write:statuses")
WRITE_FAVOURITES = ("write", "write:favourites")
WRITE_MEDIA = ("write", "write:media")


def build_app(backend: Backend) -> Starlette:
    def route(
        method: str,
        path: str,
        handler: Handler,
        auth: Auth = Auth.OPTIONAL,
        scopes: tuple[str, ...] = (),
        user: bool = False,
        family: str | None = None,
    ) -> Route:
        def with_scheduler(call: Call) -> Reply:
            statuses.publish_due(call.backend)
            return handler(call)

        wrapped = endpoint(
            backend, with_scheduler, auth=auth, scopes=scopes, user=user, family=family
        )
        return Route(path, wrapped, methods=[method])

    required, public = Auth.REQUIRED, Auth.NONE
    routes = [
        # OAuth and apps (docs: methods/apps, methods/oauth)
        route("POST", "/api/v1/apps", oauth.create_app, public),
        route("GET", "/api/v1/apps/verify_credentials", oauth.verify_app, required),
        route("GET", "/oauth/authorize", oauth.authorize_page, public),
        route("POST", "/oauth/authorize", oauth.authorize_submit, public),
        route("POST", "/oauth/token", oauth.issue_token, public),
        route("POST", "/oauth/revoke", oauth.revoke_token, public),
        route("GET", "/.well-known/oauth-authorization-server", oauth.server_metadata, public),
        # Instance (docs: methods/instance)
        route("GET", "/api/v1/instance", lambda c: Reply(c.backend.presenter.instance_v1())),
        route("GET", "/api/v2/instance", lambda c: Reply(c.backend.presenter.instance_v2())),
        # Accounts (docs: methods/accounts, methods/search)
        route(
            "GET",
            "/api/v1/accounts/verify_credentials",
            accounts.verify_credentials,
            required,
            ("read", "read:accounts", "profile"),
            user=True,
        ),
        route(
            "PATCH",
            "/api/v1/accounts/update_credentials",
            accounts.update_credentials,
            required,
            ("write", "write:accounts"),
            user=True,
        ),
        route(
            "GET",
            "/api/v1/accounts/relationships",
            accounts.relationships,
            required,
            READ_FOLLOWS,
            user=True,
        ),
        route("GET", "/api/v1/accounts/lookup", accounts.lookup, scopes=READ_ACCOUNTS),
        route("GET", "/api/v1/accounts/search", accounts.search_v1_accounts, scopes=READ_ACCOUNTS),
        route("GET", "/api/v2/search", accounts.search_v2, scopes=("read", "read:search")),
        route("GET", "/api/v1/accounts/{id}", accounts.show, scopes=READ_ACCOUNTS),
        route("GET", "/api/v1/accounts/{id}/following", accounts.following, scopes=READ_ACCOUNTS),
        route("GET", "/api/v1/accounts/{id}/followers", accounts.followers, scopes=READ_ACCOUNTS),
        route(
            "GET", "/api/v1/accounts/{id}/statuses", statuses.account_statuses, scopes=READ_STATUSES
        ),
        route(
            "POST",
            "/api/v1/accounts/{id}/follow",
            accounts.follow,
            required,
            WRITE_FOLLOWS,
            user=True,
            family="follows",
        ),
        route(
            "POST",
            "/api/v1/accounts/{id}/unfollow",
            accounts.unfollow,
            required,
            WRITE_FOLLOWS,
            user=True,
        ),
        # Statuses (docs: methods/statuses, methods/scheduled_statuses)
        route(
            "POST",
            "/api/v1/statuses",
            statuses.create,
            required,
            WRITE_STATUSES,
            user=True,
            family="statuses",
        ),
        route("GET", "/api/v1/statuses/{id}", statuses.show, scopes=READ_STATUSES),
        # Favourites and boosts (docs: methods/statuses#favourite … #reblogged_by)
        *(
            route(
                "POST",
                f"/api/v1/statuses/{{id}}/{action}",
                handler,
                required,
                scopes,
                user=True,
                family=family,
            )
            for action, handler, scopes, family in (
                ("favourite", interactions.favourite, WRITE_FAVOURITES, None),
                ("unfavourite", interactions.unfavourite, WRITE_FAVOURITES, None),
                ("reblog", interactions.reblog, WRITE_STATUSES, "statuses"),
                ("unreblog", interactions.unreblog, WRITE_STATUSES, None),
            )
        ),
        route(
            "GET",
            "/api/v1/statuses/{id}/favourited_by",
            interactions.favourited_by,
            scopes=READ_ACCOUNTS,
        ),
        route(
            "GET",
            "/api/v1/statuses/{id}/reblogged_by",
            interactions.reblogged_by,
            scopes=READ_ACCOUNTS,
        ),
        route(
            "DELETE", "/api/v1/statuses/{id}", statuses.delete, required, WRITE_STATUSES, user=True
        ),
        route(
            "GET",
            "/api/v1/scheduled_statuses",
            statuses.scheduled_list,
            required,
            READ_STATUSES,
            user=True,
        ),
        route(
            "GET",
            "/api/v1/scheduled_statuses/{id}",
            statuses.scheduled_show,
            required,
            READ_STATUSES,
            user=True,
        ),
        route(
            "DELETE",
            "/api/v1/scheduled_statuses/{id}",
            statuses.scheduled_cancel,
            required,
            WRITE_STATUSES,
            user=True,
        ),
        # Media (docs: methods/media)
        route("POST", "/api/v2/media", media.upload_v2, required, WRITE_MEDIA, user=True),
        route("POST", "/api/v1/media", media.upload_v1, required, WRITE_MEDIA, user=True),
        route("GET", "/api/v1/media/{id}", media.show, required, WRITE_MEDIA, user=True),
        route("PUT", "/api/v1/media/{id}", media.update, required, WRITE_MEDIA, user=True),
        route("DELETE", "/api/v1/media/{id}", media.delete, required, WRITE_MEDIA, user=True),
        # Test controls (not Mastodon)
        route("POST", "/_test/accounts", control.http_create_account, public),
        route("POST", "/_test/remote_accounts", control.http_add_remote_account, public),
        route("POST", "/_test/clock/advance", control.http_advance_clock, public),
        route("POST", "/_test/budgets", control.http_set_budget, public),
        route("GET", "/_test/counters", control.http_counters, public),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": NOT_FOUND}, status_code=404)

    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
