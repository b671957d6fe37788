"""Request parameters merged the way Rails merges them for Mastodon's controllers.

docs: api/guidelines#paramaters — query strings, form data (urlencoded or multipart) and JSON
bodies are all accepted; ``key[]`` builds an array, ``key[sub]`` a hash (``fields[0][name]``).
Multipart is parsed here (byte-exact, no extra dependency); uploaded files become ``UploadedFile``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

_KEY_PART = re.compile(r"\[([^\]]*)\]")
_FALSE_VALUES = {"0", "f", "false", "off", "no", "n", ""}


class BadRequest(Exception):
    """The body could not be parsed (Mastodon answers 400 or 422 for these)."""


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str
    data: bytes


def parse(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    """Query and body parameters as one nested dict (the body wins on conflicts)."""
    params: dict[str, Any] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        assign(params, key, value)
    media_type = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return params
    if media_type == "application/json":
        try:
            decoded = json.loads(body)
        except ValueError as error:
            raise BadRequest("Invalid JSON data") from error
        if isinstance(decoded, dict):
            params.update(decoded)
    elif media_type == "application/x-www-form-urlencoded":
        for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            assign(params, key, value)
    elif media_type == "multipart/form-data":
        for key, value in _multipart(content_type, body):
            assign(params, key, value)
    return params


def assign(params: dict[str, Any], key: str, value: Any) -> None:
    """Store ``value`` under a Rails-style key: ``a``, ``a[]``, ``a[b]``, ``a[b][]``…"""
    head, _, rest = key.partition("[")
    parts = [head, *_KEY_PART.findall("[" + rest)] if rest else [head]
    target: dict[str, Any] = params
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        following = None if last else parts[index + 1]
        if last:
            target[part] = value
        elif following == "":
            target.setdefault(part, [])
            if isinstance(target[part], list):
                target[part].append(value)
            return
        else:
            child = target.get(part)
            if not isinstance(child, dict):
                child = target[part] = {}
            target = child


def truthy(value: Any) -> bool:
    """ActiveModel's boolean cast: "0", "false", "f", "off"… are false."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    return str(value).strip().lower() not in _FALSE_VALUES


def as_list(value: Any) -> list[Any]:
    """``id[]=1&id[]=2``, ``id=1`` or a JSON array, as a list."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return [value]


def _multipart(content_type: str, body: bytes) -> list[tuple[str, Any]]:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise BadRequest("multipart body without a boundary")
    delimiter = b"--" + match.group(1).encode("latin-1")
    fields: list[tuple[str, Any]] = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        data = data.removesuffix(b"\r\n")
        headers = _part_headers(head.decode("utf-8", "replace"))
        disposition = headers.get("content-disposition", "")
        name = _disposition_value(disposition, "name")
        if name is None:
            continue
        filename = _disposition_value(disposition, "filename")
        if filename is None:
            fields.append((name, data.decode("utf-8", "replace")))
        else:
            part_type = headers.get("content-type", "application/octet-stream")
            fields.append((name, UploadedFile(filename, part_type.strip().lower(), data)))
    return fields


def _part_headers(head: str) -> dict[str, str]:
    headers = {}
    for line in head.split("\r\n"):
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers


def _disposition_value(disposition: str, name: str) -> str | None:
    match = re.search(rf'(?:^|;)\s*{name}="((?:[^"\\]|\\.)*)"', disposition)
    if match:
        return match.group(1).replace('\\"', '"')
    match = re.search(rf"(?:^|;)\s*{name}=([^;]+)", disposition)
    return match.group(1).strip() if match else None
