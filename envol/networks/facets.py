"""Bluesky rich-text facets: links, mentions and hashtags with UTF-8 byte offsets.

Why: a Bluesky post is plain text; links, mentions and tags are clickable only through facets
(`app.bsky.richtext.facet`) that point at byte ranges of the UTF-8 text. Detection follows the
official client (`@atproto/api` RichText.detectFacets) so that a crossposted text renders as if it
had been typed in the app. Mentions need a DID: the caller resolves the handles (network I/O
belongs to the adapter) and `to_lexicon` drops the mentions it could not resolve.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from envol.networks.text import bluesky_links, bluesky_mentions, bluesky_tags

FacetKind = Literal["link", "mention", "tag"]

FACET_TYPE = "app.bsky.richtext.facet"
_FEATURE_TYPES: dict[FacetKind, str] = {
    "link": f"{FACET_TYPE}#link",
    "mention": f"{FACET_TYPE}#mention",
    "tag": f"{FACET_TYPE}#tag",
}


@dataclass(frozen=True)
class Facet:
    """One detected entity. `value`: the URI, the handle (no `@`) or the tag (no `#`)."""

    kind: FacetKind
    byte_start: int
    byte_end: int
    value: str


def byte_offsets(text: str) -> list[int]:
    """offsets[i] is the UTF-8 byte offset of text[i] (and offsets[len(text)] the total)."""
    offsets = [0] * (len(text) + 1)
    total = 0
    for index, char in enumerate(text):
        offsets[index] = total
        code = ord(char)
        total += 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
    offsets[len(text)] = total
    return offsets


def detect_facets(text: str) -> list[Facet]:
    """Links (bare domains get `https://`), mentions and tags, in text order, never overlapping."""
    found: list[tuple[int, int, FacetKind, str]] = []
    found += [(start, end, "link", uri) for start, end, uri in bluesky_links(text)]
    found += [(start, end, "mention", handle) for start, end, handle in bluesky_mentions(text)]
    found += [(start, end, "tag", tag) for start, end, tag in bluesky_tags(text)]
    if not found:
        return []
    offsets = byte_offsets(text)
    facets: list[Facet] = []
    last_end = -1
    for start, end, kind, value in sorted(found):
        if start < last_end:
            continue  # overlapping entities would make the PDS reject the record
        facets.append(Facet(kind, offsets[start], offsets[end], value))
        last_end = end
    return facets


def mentioned_handles(facets: list[Facet]) -> list[str]:
    """The handles to resolve to DIDs before building the record, without duplicates."""
    return list(dict.fromkeys(facet.value.lower() for facet in facets if facet.kind == "mention"))


def to_lexicon(facets: list[Facet], dids: Mapping[str, str]) -> list[dict[str, object]]:
    """`app.bsky.richtext.facet` records; `dids` maps handle → DID, unresolved mentions dropped."""
    resolved = {handle.lower(): did for handle, did in dids.items()}
    kept: list[Facet] = []
    for facet in facets:
        if facet.kind == "mention":
            did = resolved.get(facet.value.lower())
            if did is None:
                continue
            facet = Facet("mention", facet.byte_start, facet.byte_end, did)
        kept.append(facet)
    return records(kept)


def records(facets: list[Facet]) -> list[dict[str, object]]:
    """`app.bsky.richtext.facet` records of facets whose mentions already carry their DID."""
    found: list[dict[str, object]] = []
    for facet in facets:
        feature: dict[str, str] = {"$type": _FEATURE_TYPES[facet.kind]}
        if facet.kind == "link":
            feature["uri"] = facet.value
        elif facet.kind == "tag":
            feature["tag"] = facet.value
        else:
            feature["did"] = facet.value
        found.append(
            {
                "$type": FACET_TYPE,
                "index": {"byteStart": facet.byte_start, "byteEnd": facet.byte_end},
                "features": [feature],
            }
        )
    return found
