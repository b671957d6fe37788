"""A public Bluesky account as a source, read from its own PDS (the repository is the truth; no
AppView is needed and nothing waits for indexing).

- Resolving: a handle → its DID (`com.atproto.identity.resolveHandle` on a service), the DID →
  its PDS (the PLC directory for `did:plc`, `/.well-known/did.json` for `did:web`). Done when the
  relay is created, and again when the PDS no longer holds the repository (the account moved).
- Polling: `com.atproto.sync.getLatestCommit` first — the repository's revision changes with
  every write, so an unchanged one ends the poll in one small call — then
  `com.atproto.repo.listRecords` of `app.bsky.feed.post` (and `app.bsky.feed.repost` when
  reposts are relayed), newest first, down to the newest record key seen before (record keys
  are TIDs: they sort by creation time).

docs: atproto.com/specs/did, /specs/record-key; lexicons com.atproto.repo.listRecords,
com.atproto.sync.getLatestCommit, app.bsky.feed.post, app.bsky.embed.*, app.bsky.richtext.facet.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from envol.feeds.fetch import SourceClient
from envol.feeds.items import (
    Polled,
    SourceError,
    SourceImage,
    SourceItem,
    hashtags,
    parse_date,
)

POST = "app.bsky.feed.post"
REPOST = "app.bsky.feed.repost"
PAGE = 50
MAX_PAGES = 4  # per collection and poll: 200 new posts between two polls is plenty
WEB = "https://bsky.app"


def resolve_account(client: SourceClient, actor: str, *, service: str, plc: str) -> dict[str, str]:
    """{"did", "pds", "handle"} of a handle or DID."""
    actor = actor.strip().lstrip("@")
    if actor.startswith("https://bsky.app/profile/"):
        actor = actor.removeprefix("https://bsky.app/profile/").split("/", 1)[0]
    did = actor
    if not actor.startswith("did:"):
        answer = client.get_json(
            f"{service.rstrip('/')}/xrpc/com.atproto.identity.resolveHandle",
            {"handle": actor.lower()},
        )
        did = str(answer.get("did", "")) if isinstance(answer, dict) else ""
        if not did.startswith("did:"):
            raise SourceError("not_found", f"No Bluesky account has the handle @{actor}.")
    return {"did": did, "pds": pds_of(client, did, plc=plc), "handle": actor}


def pds_of(client: SourceClient, did: str, *, plc: str) -> str:
    """The PDS a DID document names (its `#atproto_pds` service)."""
    if did.startswith("did:plc:"):
        document = client.get_json(f"{plc.rstrip('/')}/{quote(did)}")
    elif did.startswith("did:web:"):
        host = did.removeprefix("did:web:").replace("%3A", ":")
        document = client.get_json(f"https://{host}/.well-known/did.json")
    else:
        raise SourceError("not_found", f"{did} is not a DID envol can resolve.")
    for service in document.get("service", []) if isinstance(document, dict) else []:
        if str(service.get("id", "")).endswith("#atproto_pds"):
            return str(service.get("serviceEndpoint", "")).rstrip("/")
    raise SourceError("not_found", f"The DID document of {did} names no PDS.")


def poll_account(
    client: SourceClient, state: dict[str, Any], *, reposts: bool = False, web: str = WEB
) -> Polled:
    """New posts (and reposts) since `state` ({did, pds, rev, newest, newest_repost})."""
    did, pds = str(state["did"]), str(state["pds"])
    commit = client.get_json(f"{pds}/xrpc/com.atproto.sync.getLatestCommit", {"did": did})
    rev = str(commit.get("rev", "")) if isinstance(commit, dict) else ""
    if rev and rev == state.get("rev"):
        return Polled([], dict(state), changed=False)
    next_state = {**state, "rev": rev}
    items: list[SourceItem] = []
    for collection, mark in ((POST, "newest"), (REPOST, "newest_repost")):
        if collection == REPOST and not reposts:
            continue
        records = _records_since(client, pds, did, collection, str(state.get(mark, "")))
        # "0" sorts below every record key: after a first poll that found nothing, the next
        # polls page down to the start instead of reading only the latest page.
        next_state[mark] = (
            max(_rkey(r["uri"]) for r in records) if records else str(state.get(mark) or "0")
        )
        for record in records:
            if collection == POST:
                items.append(post_item(record, did, pds, web))
            else:
                items.append(repost_item(record, web))
    items.sort(key=lambda item: _rkey(item.key))
    return Polled(items, next_state)


def _records_since(
    client: SourceClient, pds: str, did: str, collection: str, newest: str
) -> list[dict[str, Any]]:
    """Records with a key above `newest`, newest first; only the first page when nothing was
    seen yet (a first poll needs only the latest ones)."""
    found: list[dict[str, Any]] = []
    cursor = ""
    for _page in range(MAX_PAGES):
        params = {"repo": did, "collection": collection, "limit": PAGE}
        if cursor:
            params["cursor"] = cursor
        page = client.get_json(f"{pds}/xrpc/com.atproto.repo.listRecords", params)
        records = page.get("records", []) if isinstance(page, dict) else []
        fresh = [r for r in records if _rkey(str(r.get("uri", ""))) > newest]
        found += fresh
        cursor = str(page.get("cursor", "") or "") if isinstance(page, dict) else ""
        if not newest or len(fresh) < len(records) or not cursor or not records:
            break
    return found


def post_item(record: dict[str, Any], did: str, pds: str, web: str = WEB) -> SourceItem:
    uri = str(record["uri"])
    value = record.get("value", {})
    text = expand_links(str(value.get("text", "")), value.get("facets") or [])
    tags = [
        str(feature.get("tag", "")).lower()
        for facet in value.get("facets") or []
        for feature in facet.get("features") or []
        if feature.get("$type") == "app.bsky.richtext.facet#tag"
    ]
    embed = value.get("embed") or {}
    images = _images(embed, did, pds)
    external = _external(embed)
    quoted = _quoted(embed, web)
    parent = str(((value.get("reply") or {}).get("parent") or {}).get("uri", ""))
    labels = [
        str(label.get("val", ""))
        for label in ((value.get("labels") or {}).get("values") or [])
        if label.get("val")
    ]
    return SourceItem(
        key=uri,
        uri=uri,
        url=post_url(uri, web),
        text=text,
        link=str(external.get("uri", "")) or quoted,
        published_at=parse_date(value.get("createdAt")),
        tags=tuple(dict.fromkeys([*tags, *hashtags(text)])),
        lang=str((value.get("langs") or [""])[0]),
        content_warning=", ".join(labels),
        is_reply=bool(parent) and not parent.startswith(f"at://{did}/"),
        images=images,
        card_title=str(external.get("title", "")),
        card_description=str(external.get("description", "")),
        author=did,
    )


def repost_item(record: dict[str, Any], web: str = WEB) -> SourceItem:
    uri = str(record["uri"])
    value = record.get("value", {})
    shared = post_url(str((value.get("subject") or {}).get("uri", "")), web)
    return SourceItem(
        key=uri,
        uri=uri,
        url=shared,
        link=shared,
        published_at=parse_date(value.get("createdAt")),
        is_repost=True,
        repost_of=shared,
    )


def post_url(uri: str, web: str = WEB) -> str:
    """at://did/app.bsky.feed.post/rkey → the post's page on the web app."""
    parts = uri.removeprefix("at://").split("/")
    if len(parts) != 3:
        return ""
    return f"{web}/profile/{parts[0]}/post/{parts[2]}"


def expand_links(text: str, facets: list[dict[str, Any]]) -> str:
    """The text with each link facet's shortened label replaced by its full URL (the app
    writes "example.com/abc…" and keeps the address in the facet, at UTF-8 byte offsets)."""
    data = text.encode("utf-8")
    links = []
    for facet in facets:
        index = facet.get("index") or {}
        for feature in facet.get("features") or []:
            if feature.get("$type") == "app.bsky.richtext.facet#link" and feature.get("uri"):
                start, end = int(index.get("byteStart", -1)), int(index.get("byteEnd", -1))
                if 0 <= start < end <= len(data):
                    links.append((start, end, str(feature["uri"]).encode("utf-8")))
    for start, end, uri in sorted(links, reverse=True):
        if not _overlaps(start, end, links, uri):
            data = data[:start] + uri + data[end:]
    return data.decode("utf-8", "replace")


def _overlaps(start: int, end: int, links: list[tuple[int, int, bytes]], uri: bytes) -> bool:
    return any(s < end and start < e and (s, e, u) != (start, end, uri) for s, e, u in links)


def _images(embed: dict[str, Any], did: str, pds: str) -> tuple[SourceImage, ...]:
    media = embed.get("media") if embed.get("$type") == "app.bsky.embed.recordWithMedia" else embed
    if not media or media.get("$type") != "app.bsky.embed.images":
        return ()
    found = []
    for image in media.get("images") or []:
        blob = image.get("image") or {}
        cid = str((blob.get("ref") or {}).get("$link", "") or blob.get("cid", ""))
        if cid:
            url = f"{pds}/xrpc/com.atproto.sync.getBlob?did={quote(did)}&cid={quote(cid)}"
            found.append(SourceImage(url, str(image.get("alt", "")), str(blob.get("mimeType", ""))))
    return tuple(found)


def _external(embed: dict[str, Any]) -> dict[str, Any]:
    if embed.get("$type") == "app.bsky.embed.external":
        return dict(embed.get("external") or {})
    return {}


def _quoted(embed: dict[str, Any], web: str) -> str:
    quoting = ("app.bsky.embed.record", "app.bsky.embed.recordWithMedia")
    record = embed.get("record") if embed.get("$type") in quoting else None
    if isinstance(record, dict) and "record" in record:  # recordWithMedia nests it once more
        record = record["record"]
    return post_url(str((record or {}).get("uri", "")), web)


def _rkey(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]
