"""AT Protocol record keys of type "tid": 13 characters, sortable base32 of (microseconds << 10 |
clock id). We generate and store them *before* writing a record, so a retried write targets the
same key instead of creating a second record."""

from __future__ import annotations

import secrets
import time

_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def new_tid(now_us: int | None = None, clock_id: int | None = None) -> str:
    micros = time.time_ns() // 1000 if now_us is None else now_us
    clock = secrets.randbelow(1024) if clock_id is None else clock_id
    value = ((micros & ((1 << 53) - 1)) << 10) | (clock & 1023)
    chars = []
    for _ in range(13):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))
