"""The test PDS is the real `@atproto/pds`: it stores follows, caps writes and limits rates.

These are the server facts the follow migration relies on, proved with plain XRPC calls.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from envol.networks.bluesky import new_tid
from envol.testing.pds import PdsServer, TestAccount

pytestmark = pytest.mark.pds

FOLLOW = "app.bsky.graph.follow"


def follow_record(subject: TestAccount | str) -> dict[str, Any]:
    did = subject.did if isinstance(subject, TestAccount) else subject
    return {"$type": FOLLOW, "subject": did, "createdAt": "2015-03-01T12:00:00.000Z"}


def follow_creates(count: int) -> list[dict[str, Any]]:
    return [
        {
            "$type": "com.atproto.repo.applyWrites#create",
            "collection": FOLLOW,
            "rkey": new_tid(),
            "value": follow_record(f"did:plc:{n:024d}"),
        }
        for n in range(count)
    ]


def list_follows(http: httpx.Client, account: TestAccount) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"repo": account.did, "collection": FOLLOW, "limit": 100}
        if cursor:
            params["cursor"] = cursor
        response = http.get("/xrpc/com.atproto.repo.listRecords", params=params)
        response.raise_for_status()
        page = response.json()
        records += page["records"]
        cursor = page.get("cursor")
        if not cursor or not page["records"]:
            return records


def test_a_follow_created_under_a_tid_key_is_listed_once_even_when_sent_twice(
    pds: PdsServer,
) -> None:
    alice, bob = pds.create_account("alice"), pds.create_account("bob")
    assert alice.handle.endswith(".test") and alice.did.startswith("did:plc:")
    key = new_tid()
    body = {"repo": alice.did, "collection": FOLLOW, "rkey": key, "record": follow_record(bob)}

    with pds.client(alice) as http:
        first = http.post("/xrpc/com.atproto.repo.createRecord", json=body)
        resent = http.post("/xrpc/com.atproto.repo.createRecord", json=body)
        follows = list_follows(http, alice)

    assert first.status_code == 200, first.text
    assert first.json()["uri"] == f"at://{alice.did}/{FOLLOW}/{key}"
    # A retry under the same key lands on the same record: this is what makes follows idempotent.
    assert resent.status_code == 200, resent.text
    assert resent.json()["uri"] == first.json()["uri"]
    assert [(r["uri"].rsplit("/", 1)[1], r["value"]["subject"]) for r in follows] == [
        (key, bob.did)
    ]


def test_a_follow_key_must_be_a_tid(pds: PdsServer, pds_account: TestAccount) -> None:
    body = {
        "repo": pds_account.did,
        "collection": FOLLOW,
        "rkey": "not-a-tid",
        "record": follow_record(pds_account),
    }
    with pds.client(pds_account) as http:
        response = http.post("/xrpc/com.atproto.repo.createRecord", json=body)
    assert response.status_code == 400
    assert "TID" in response.json()["message"]


def test_apply_writes_takes_200_writes_and_refuses_201(
    pds: PdsServer, pds_account: TestAccount
) -> None:
    with pds.client(pds_account) as http:
        accepted = http.post(
            "/xrpc/com.atproto.repo.applyWrites",
            json={"repo": pds_account.did, "writes": follow_creates(200)},
        )
        refused = http.post(
            "/xrpc/com.atproto.repo.applyWrites",
            json={"repo": pds_account.did, "writes": follow_creates(201)},
        )
        stored = list_follows(http, pds_account)

    assert accepted.status_code == 200, accepted.text
    assert "ratelimit-limit" not in accepted.headers  # the `pds` fixture runs without limits
    assert refused.status_code == 400
    assert "Too many writes" in refused.json()["message"]
    assert len(stored) == 200


def test_rate_limits_announce_themselves_and_restart_resets_them(
    pds_rate_limited: PdsServer,
) -> None:
    account = pds_rate_limited.create_account("limited")
    first_batch = follow_creates(200)
    responses: list[httpx.Response] = []
    with pds_rate_limited.client(account) as http:
        # Each create costs 3 points of 5000 an hour: the 9th batch of 200 is over the limit.
        for writes in [first_batch, *(follow_creates(200) for _ in range(11))]:
            responses.append(
                http.post(
                    "/xrpc/com.atproto.repo.applyWrites",
                    json={"repo": account.did, "writes": writes},
                )
            )
            if responses[-1].status_code != 200:
                break

    limited = responses[-1]
    assert limited.status_code == 429, limited.text
    assert limited.json()["error"] == "RateLimitExceeded"
    assert len(responses) > 2
    remaining = [int(r.headers["ratelimit-remaining"]) for r in responses[:-1]]
    assert remaining == sorted(remaining, reverse=True) and remaining[0] > remaining[-1]
    assert "w=3600" in limited.headers["ratelimit-policy"]
    # Reset is in epoch seconds (Mastodon uses ISO 8601): later than the server's own clock.
    server_now = parsedate_to_datetime(limited.headers["date"]).timestamp()
    assert int(limited.headers["ratelimit-reset"]) > server_now

    pds_rate_limited.restart()

    first_key = first_batch[0]["rkey"]
    with pds_rate_limited.client(account) as http:
        after_restart = http.post(
            "/xrpc/com.atproto.repo.applyWrites",
            json={"repo": account.did, "writes": follow_creates(1)},
        )
        kept = http.get(
            "/xrpc/com.atproto.repo.getRecord",
            params={"repo": account.did, "collection": FOLLOW, "rkey": first_key},
        )
    assert after_restart.status_code == 200, after_restart.text
    assert kept.status_code == 200, kept.text
