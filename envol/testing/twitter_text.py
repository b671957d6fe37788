"""twitter-text, X's own text library (npm), as the reference for envol's X count.

`make testservers` installs the pinned npm package (testservers/twitter-text) into a cache folder;
`weigh(texts)` runs it with the machine's Node on many texts at once and returns, for each, its
`parseTweet` weightedLength and valid, the URLs and the emoji it finds (offsets in code points).

`emoji_sequences()` lists what twemoji-parser (the emoji list twitter-text bundles) takes for one
emoji, by enumerating the strings its regular expression matches; `python -m
envol.testing.twitter_text` writes that list to `envol/networks/x_emoji.txt`, the data envol's
own count reads at run time (a test checks that the file still equals the installed package).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from envol.testing.clock_env import real_clock_environment

SOURCE_DIR = Path(__file__).resolve().parents[2] / "testservers" / "twitter-text"
EMOJI_FILE = Path(__file__).resolve().parents[1] / "networks" / "x_emoji.txt"
TLD_FILE = Path(__file__).resolve().parents[1] / "networks" / "x_tlds.txt"
INSTALLED_MARKER = ".envol-installed"
NOT_BEFORE_FE0E = "\x00"  # in an enumerated sequence: "only when the next character is not U+FE0E"


class TwitterTextNotInstalledError(RuntimeError):
    """The npm package is missing: says what to run."""


def install_key() -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((SOURCE_DIR / name).read_bytes())
    return digest.hexdigest()[:16]


def install_dir() -> Path:
    override = os.environ.get("ENVOL_TWITTER_TEXT_INSTALL_DIR")
    if override:
        return Path(override)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "envol" / f"twitter-text-{install_key()}"


def require_install() -> Path:
    folder = install_dir()
    marker = folder / INSTALLED_MARKER
    if not marker.is_file() or marker.read_text().strip() != install_key():
        raise TwitterTextNotInstalledError(
            f"twitter-text (npm) is not installed in {folder}: run `make testservers`."
        )
    if shutil.which("node") is None:
        raise TwitterTextNotInstalledError("node not found: install Node.js (Debian: nodejs).")
    return folder


def weigh(texts: list[str]) -> list[dict[str, Any]]:
    """What twitter-text says of each text (one Node process for the whole list)."""
    folder = require_install()
    # libfaketime (pytest --clock) has nothing to do in a pure function; keep Node clear of it.
    env = real_clock_environment()
    env["NODE_PATH"] = str(folder / "node_modules")
    done = subprocess.run(
        ["node", str(SOURCE_DIR / "weigh.cjs")],
        input=json.dumps(texts).encode(),
        capture_output=True,
        env=env,
        check=True,
        timeout=300,
    )
    answers: list[dict[str, Any]] = json.loads(done.stdout)
    return answers


# --- The emoji list: the language of twemoji-parser's regular expression -----------------------


def _regex_source(folder: Path) -> str:
    source = (folder / "node_modules" / "twemoji-parser" / "dist" / "lib" / "regex.js").read_text()
    found = re.search(r"exports\.default = /(.*)/g;", source)
    if found is None:
        raise ValueError("twemoji-parser's regex.js no longer has the expected shape")
    return found.group(1)


def _language(pattern: str) -> list[str]:
    """Every string the (finite) JavaScript regular expression matches, in UTF-16 code units;
    a negative lookahead `(?!\\ufe0e)` becomes the NOT_BEFORE_FE0E mark."""
    from re import _constants as sre  # type: ignore[attr-defined]
    from re import _parser as parser  # type: ignore[attr-defined]

    def sequence(items: Any) -> list[str]:
        strings = [""]
        for op, argument in items:
            strings = [head + tail for head in strings for tail in node(op, argument)]
        return strings

    def node(op: Any, argument: Any) -> list[str]:
        if op is sre.LITERAL:
            return [chr(argument)]
        if op is sre.IN:
            chars: list[str] = []
            for kind, value in argument:
                if kind is sre.LITERAL:
                    chars.append(chr(value))
                elif kind is sre.RANGE:
                    chars += [chr(c) for c in range(value[0], value[1] + 1)]
                else:
                    raise ValueError(f"unexpected class item {kind}")
            return chars
        if op is sre.SUBPATTERN:
            return sequence(argument[-1])
        if op is sre.BRANCH:
            return [s for branch in argument[1] for s in sequence(branch)]
        if op is sre.MAX_REPEAT and argument[:2] == (0, 1):
            return ["", *sequence(argument[2])]
        if (
            op is sre.ASSERT_NOT
            and argument[0] == 1
            and list(argument[1]) == [(sre.LITERAL, 0xFE0E)]
        ):
            return [NOT_BEFORE_FE0E]
        raise ValueError(f"unexpected regular expression item {op} {argument}")

    return sequence(parser.parse(pattern))


def _from_utf16(units: str) -> str:
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le")


def emoji_sequences(folder: Path | None = None) -> list[str]:
    """twemoji-parser's emoji, as code point strings, sorted; see NOT_BEFORE_FE0E."""
    pattern = _regex_source(folder or require_install())
    return sorted({_from_utf16(units) for units in _language(pattern)})


def emoji_file_text(sequences: list[str]) -> str:
    lines = [
        "# The emoji twitter-text weighs 2 each (its bundled twemoji-parser's list, generated by",
        "# `python -m envol.testing.twitter_text` from the npm package; do not edit by hand).",
        "# One sequence a line, code points in hex; `!fe0e` at the end: only when the next",
        "# character is not U+FE0E (text presentation).",
    ]
    for sequence in sequences:
        points = [f"{ord(c):x}" for c in sequence if c != NOT_BEFORE_FE0E]
        if sequence.endswith(NOT_BEFORE_FE0E):
            points.append("!fe0e")
        lines.append(" ".join(points))
    return "\n".join(lines) + "\n"


# --- The top-level domains twitter-text knows (its own list, not IANA's of today) ---------------


def top_level_domains(folder: Path | None = None) -> dict[str, list[str]]:
    """{"gtld": [...], "cctld": [...]}, in the order twitter-text's alternations try them."""
    folder = folder or require_install()
    script = (
        "const d = (n) => require('twitter-text/dist/regexp/' + n).source;"
        "process.stdout.write(JSON.stringify({gtld: d('validGTLD'), cctld: d('validCCTLD')}))"
    )
    env = {**os.environ, "NODE_PATH": str(folder / "node_modules")}
    done = subprocess.run(
        ["node", "-e", script], capture_output=True, env=env, check=True, timeout=60
    )
    sources: dict[str, str] = json.loads(done.stdout)
    lists: dict[str, list[str]] = {}
    for kind, source in sources.items():
        found = re.fullmatch(r"\(\?:\(\?:(.*)\)\(\?=\[\^0-9a-zA-Z@\+-\]\|\$\)\)", source)
        if found is None:
            raise ValueError(f"twitter-text's {kind} regex no longer has the expected shape")
        lists[kind] = found.group(1).split("|")
    return lists


def tld_file_text(lists: dict[str, list[str]]) -> str:
    lines = [
        "# The top-level domains twitter-text recognises (generated by `python -m",
        "# envol.testing.twitter_text` from the npm package; do not edit by hand): `gtld` then",
        "# `cctld` names, in the order its regular expression tries them.",
    ]
    for kind in ("gtld", "cctld"):
        lines += [f"{kind} {name}" for name in lists[kind]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    EMOJI_FILE.write_text(emoji_file_text(emoji_sequences()))
    TLD_FILE.write_text(tld_file_text(top_level_domains()), encoding="utf-8")
    print(f"wrote {EMOJI_FILE} and {TLD_FILE}", file=sys.stderr)
