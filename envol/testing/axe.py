"""axe-core in the browser tests: the npm package installed by testservers/axe/install.sh
(`make testservers`) into a per-machine cache, injected by Playwright into the page under test.

`axe_violations(page)` runs axe on the whole page against WCAG 2.0/2.1 A and AA and returns the
violations whose impact is serious or critical (the bar of the project's browser tests). When the
install is missing, the caller's test fails in CI and is skipped elsewhere, with the command.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Final

import pytest

SOURCE_DIR: Final = Path(__file__).resolve().parents[2] / "testservers" / "axe"
INSTALLED_MARKER: Final = ".envol-installed"
BLOCKING: Final = frozenset({"serious", "critical"})
WCAG_AA_TAGS: Final = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def install_dir() -> Path:
    """Where install.sh puts axe-core (ENVOL_AXE_INSTALL_DIR overrides), keyed like it."""
    override = os.environ.get("ENVOL_AXE_INSTALL_DIR")
    if override:
        return Path(override)
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((SOURCE_DIR / name).read_bytes())
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "envol" / f"axe-{digest.hexdigest()[:16]}"


def axe_script() -> Path:
    """axe.min.js, or a test failure (CI) / skip (elsewhere) saying what to run."""
    folder = install_dir()
    script = folder / "node_modules" / "axe-core" / "axe.min.js"
    if not (folder / INSTALLED_MARKER).is_file() or not script.is_file():
        reason = f"axe-core is not installed in {folder}: run `make testservers`."
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return script


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical WCAG A/AA violations of the page as it is now."""
    # evaluated through the DevTools protocol, which a page's Content-Security-Policy does not
    # block (a <script> tag would be: the archive site allows only its own files)
    page.evaluate(axe_script().read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, preload: false})",
        WCAG_AA_TAGS,
    )
    return [v for v in result["violations"] if v.get("impact") in BLOCKING]


def describe(violations: list[dict[str, Any]]) -> str:
    """One line per violation and node, for an assertion message."""
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {node.get('target')}"
        for v in violations
        for node in v.get("nodes", [])
    )
