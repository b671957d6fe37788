"""The mapping table itself: every file kind can be told apart and maps to measured metrics."""

from __future__ import annotations

import pytest

from envol.insights.exports import columns as cols
from envol.networks.kinds import kinds_for
from envol.networks.metrics import Metric


@pytest.mark.parametrize("kind", cols.FILE_KINDS, ids=lambda k: k.name)
def test_each_kind_requires_a_key_and_a_metric(kind: cols.FileKind) -> None:
    required = {c.field for c in kind.required()}
    key = cols.POST_ID if kind.kind == cols.POSTS else cols.DATE
    assert key in required
    assert required - {cols.POST_ID, cols.DATE}, "a file kind needs a required metric column"


@pytest.mark.parametrize("kind", cols.FILE_KINDS, ids=lambda k: k.name)
def test_its_metrics_are_in_its_platforms_kinds_table(kind: cols.FileKind) -> None:
    metrics = {Metric(c.field) for c in kind.columns if c.field in {m.value for m in Metric}}
    measured = set().union(*(kinds_for(p).measured() for p in kind.platforms))
    assert metrics <= measured, metrics - measured


@pytest.mark.parametrize("kind", cols.FILE_KINDS, ids=lambda k: k.name)
def test_no_header_is_claimed_twice_within_a_kind(kind: cols.FileKind) -> None:
    seen: dict[str, str] = {}
    for column in kind.columns:
        for variant in set(column.variants()):
            assert seen.setdefault(variant, column.field) == column.field, variant
