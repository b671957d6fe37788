"""Bluesky counts graphemes with the PDS's own segmenter: envol must count exactly as it does
(never fewer, or the PDS refuses a post envol thought fitted; never more, or threads get cut for
nothing). The reference is `Intl.Segmenter` of the Node the real PDS runs on (what its lexicon
validation uses), on the texts the X comparison generates (emoji old and new, scripts, marks)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from envol.networks.tests.test_x_twitter_text import EDGE_CASES, generated_texts
from envol.networks.text import grapheme_count
from envol.testing.clock_env import real_clock_environment
from envol.testing.pds import PdsNotInstalledError, require_install

COUNT = (
    "let s = ''; process.stdin.on('data', d => s += d).on('end', () => {"
    " const segmenter = new Intl.Segmenter();"
    " const counts = JSON.parse(s).map(t => [...segmenter.segment(t)].length);"
    " process.stdout.write(JSON.stringify(counts))"
    "})"
)


def test_grapheme_counts_equal_the_pds_segmenter() -> None:
    try:
        node = require_install() / "node_modules" / ".bin" / "node"
    except PdsNotInstalledError as exc:
        if os.environ.get("CI", "").lower() in {"true", "1"}:
            pytest.fail(str(exc), pytrace=False)
        pytest.skip(str(exc))
    texts = [*generated_texts(), *EDGE_CASES]
    env = real_clock_environment()
    done = subprocess.run(
        [str(node), "-e", COUNT],
        input=json.dumps(texts).encode(),
        env=env,
        capture_output=True,
        check=True,
        timeout=300,
    )
    expected = json.loads(done.stdout)
    wrong = [
        (t, grapheme_count(t), n)
        for t, n in zip(texts, expected, strict=True)
        if grapheme_count(t) != n
    ]
    assert not wrong, f"{len(wrong)} of {len(texts)} differ, e.g. {wrong[:5]}"
