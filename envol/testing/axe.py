"""axe-core, the accessibility engine of the browser tests, installed from npm by
`make testservers` (testservers/axe/install.sh) into a cache folder shared by every clone."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[2] / "testservers" / "axe"
BLOCKING = ("serious", "critical")


def install_dir() -> Path:
    explicit = os.environ.get("ENVOL_AXE_INSTALL_DIR")
    if explicit:
        return Path(explicit)
    key = hashlib.sha256(
        (HERE / "package.json").read_bytes() + (HERE / "package-lock.json").read_bytes()
    ).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "envol" / f"axe-{key}"


def axe_source() -> str | None:
    script = install_dir() / "node_modules" / "axe-core" / "axe.min.js"
    return script.read_text(encoding="utf-8") if script.exists() else None


def blocking_violations(page: Any, source: str) -> list[str]:
    """Run axe on the page (injected through the browser's debugging protocol, so the page's
    Content-Security-Policy does not block it) and describe every serious or critical
    violation, one line each."""
    page.evaluate(source)
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        f"{v['impact']} {v['id']}: {v['help']} — "
        + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:5])
        for v in violations
        if v.get("impact") in BLOCKING
    ]
