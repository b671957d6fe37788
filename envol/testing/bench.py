"""What the benchmarks in `bench/` share: paired rounds, the machine's load, the result line.

Every bench ends with one JSON line, `{"bench", "figures", "bars"}`, each bar
`{"limit", "value", "better": "lower"|"higher", "met"}`, and exits non-zero when a bar is
missed, so that `make bench` fails on a miss. Pure Python: no Django.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Bar:
    limit: float
    value: float
    better: Literal["lower", "higher"]

    @property
    def met(self) -> bool:
        return self.value <= self.limit if self.better == "lower" else self.value >= self.limit

    def as_json(self) -> dict[str, Any]:
        return {
            "limit": self.limit,
            "value": _rounded(self.value),
            "better": self.better,
            "met": self.met,
        }


def at_most(limit: float, value: float) -> Bar:
    return Bar(limit, value, "lower")


def at_least(limit: float, value: float) -> Bar:
    return Bar(limit, value, "higher")


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.4g}") if abs(value) < 1000 else round(value, 1)
    if isinstance(value, Mapping):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(item) for item in value]
    return value


def load_average() -> float:
    """The machine's one-minute load (the benches share it: say how busy it was)."""
    return round(os.getloadavg()[0], 2)


def paired_rounds(
    rounds: int, first: Callable[[], T], second: Callable[[], T]
) -> list[tuple[T, T]]:
    """`rounds` pairs (first's result, second's result), measured back to back, the order
    alternating from one round to the next: a burst of load from another process then hits
    both sides of some pair, and neither side always runs on a warmer cache."""
    pairs: list[tuple[T, T]] = []
    for number in range(rounds):
        if number % 2 == 0:
            a = first()
            b = second()
        else:
            b = second()
            a = first()
        pairs.append((a, b))
    return pairs


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def report(bench: str, figures: Mapping[str, Any], bars: Mapping[str, Bar]) -> int:
    """Print the bars readably, then the JSON line last; the exit status (1 on a miss)."""
    for name, bar in bars.items():
        sign = "≤" if bar.better == "lower" else "≥"
        verdict = "met" if bar.met else "MISSED"
        print(f"bar {name}: {_rounded(bar.value)} ({sign} {bar.limit}) {verdict}")
    line = {
        "bench": bench,
        "figures": _rounded(dict(figures)),
        "bars": {name: bar.as_json() for name, bar in bars.items()},
    }
    print(json.dumps(line, ensure_ascii=False), flush=True)
    return 0 if all(bar.met for bar in bars.values()) else 1


def exit_with(status: int) -> None:
    sys.stdout.flush()
    sys.exit(status)
