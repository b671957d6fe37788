"""Mastodon's id pagination and its Link header.

docs: api/guidelines#pagination. Source: app/models/concerns/paginable.rb (paginate_by_id: newest
first below ``max_id`` and above ``since_id``; with ``min_id``, the page just above it, oldest
first, then reversed) and Api::BaseController#limit_param (default, capped at twice the default).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    full: bool  # as many items as the limit: there may be more (Mastodon's records_continue?)


def limit_param(value: Any, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        wanted = abs(int(value))
    except (TypeError, ValueError):
        return default
    return min(wanted, default * 2)


def paginate(
    items: Sequence[T], key: Callable[[T], str], params: dict[str, Any], limit: int
) -> Page[T]:
    """``items`` in any order; ``key`` gives the numeric id string used for the cursors."""
    max_id, since_id, min_id = (_int(params.get(n)) for n in ("max_id", "since_id", "min_id"))
    ordered = sorted(items, key=lambda item: int(key(item)), reverse=True)
    if max_id is not None:
        ordered = [i for i in ordered if int(key(i)) < max_id]
    if min_id is not None:
        above = [i for i in reversed(ordered) if int(key(i)) > min_id][:limit]
        page = list(reversed(above))
    else:
        if since_id is not None:
            ordered = [i for i in ordered if int(key(i)) > since_id]
        page = ordered[:limit]
    return Page(page, len(page) == limit)


def link_header(
    base: str, path: str, keep: dict[str, Any], next_id: str | None, prev: tuple[str, str] | None
) -> str:
    """``<…?max_id=N>; rel="next", <…?since_id=M>; rel="prev"`` (either may be missing)."""
    links = []
    if next_id is not None:
        links.append(f'<{base}{path}?{urlencode({**keep, "max_id": next_id})}>; rel="next"')
    if prev is not None:
        name, value = prev
        links.append(f'<{base}{path}?{urlencode({**keep, name: value})}>; rel="prev"')
    return ", ".join(links)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
