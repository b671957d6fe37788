"""`envol text check`: how long a text is for a network, and the thread it would become.

Why: communication teams write once and publish on several networks; this answers "does it fit,
and if not, how would it be cut?" from the shell, with the same rules the publishing code uses.

With `--json` the answer is always one JSON object on standard output, on every network:
`{"network", "count", "limit", "fits", "parts", "counts", "reason"}` — `parts` is the text itself
when it fits, the thread when it does not (`null` when it cannot be cut), `counts` each part's
count, `reason` `null` or `{"code", "message", "piece"}` saying why it cannot be published.
Exit status: 0 the text, or its thread, can be published; 1 it cannot (too long and `--no-thread`,
a URL, mention or hashtag longer than a post, a character the network refuses, an empty text);
2 a wrong option (click's usage message on standard error, not JSON).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import click
import orjson

from envol.cli.i18n import _, gettext_noop, group
from envol.networks.text import NETWORKS, TextRules, TextTooLong, count, fits, split_thread

NETWORK_NAMES = {"bluesky": "Bluesky", "mastodon": "Mastodon", "x": "X"}
PIECE_NAMES = {
    "url": gettext_noop("This URL alone is longer than one {network} post allows ({limit})."),
    "mention": gettext_noop(
        "This mention alone is longer than one {network} post allows ({limit})."
    ),
    "hashtag": gettext_noop(
        "This hashtag alone is longer than one {network} post allows ({limit})."
    ),
    "character": gettext_noop(
        "This character alone is longer than one {network} post allows ({limit})."
    ),
    "numbering_does_not_fit": gettext_noop("The 1/n numbering does not fit in the posts."),
    "invalid_character": gettext_noop(
        "{network} refuses this character (U+FEFF, U+FFFE, U+FFFF): remove it."
    ),
    "empty": gettext_noop("The text is empty."),
    "too_long": gettext_noop("Too long for one {network} post ({count} / {limit})."),
}


@dataclass(frozen=True)
class Verdict:
    count: int
    fits: bool
    parts: list[str] | None
    reason: dict[str, str] | None


def _reason(code: str, rules: TextRules, length: int, piece: str = "") -> dict[str, str]:
    key = code.removesuffix("_too_long") if code != "too_long" else code
    message = _(PIECE_NAMES.get(key, PIECE_NAMES["too_long"]))
    text = message.format(network=NETWORK_NAMES[rules.network], limit=rules.limit, count=length)
    return {"code": code, "message": text, "piece": piece}


def judge(message: str, rules: TextRules, thread: bool, numbering: bool) -> Verdict:
    """Does the text fit, and if not, what it becomes: never raises on any text."""
    length = count(message, rules)
    if not message.strip():
        return Verdict(length, False, None, _reason("empty", rules, length))
    if rules.network == "x" and any(c in message for c in "\ufeff\ufffe\uffff"):
        return Verdict(length, False, None, _reason("invalid_character", rules, length))
    if fits(message, rules):
        return Verdict(length, True, [message], None)
    if not thread:
        return Verdict(length, False, None, _reason("too_long", rules, length))
    try:
        parts = split_thread(message, rules, numbering=numbering)
    except TextTooLong as exc:
        return Verdict(length, False, None, _reason(exc.code, rules, length, exc.piece))
    return Verdict(length, False, parts, None)


@group(help=gettext_noop("Text rules of each network: counts, limits, threads."))
def text() -> None:
    pass


@text.command(
    "check",
    help=gettext_noop(
        "Count TEXT (or standard input with '-') as NETWORK does, and show the parts."
    ),
)
@click.option(
    "--network", type=click.Choice(NETWORKS), required=True, help=gettext_noop("Target network.")
)
@click.option(
    "--max",
    "limit",
    type=click.IntRange(min=1),
    help=gettext_noop("Instance limit (Mastodon: 500)."),
)
@click.option(
    "--url-weight", type=click.IntRange(min=0), help=gettext_noop("Characters counted per URL.")
)
@click.option("--json", "as_json", is_flag=True, help=gettext_noop("Print one JSON object."))
@click.option(
    "--thread/--no-thread", default=True, help=gettext_noop("Split a text that does not fit.")
)
@click.option(
    "--numbering", is_flag=True, help=gettext_noop("End each part of a thread with ' k/n'.")
)
@click.argument("message", metavar="TEXT")
def check(
    network: str,
    limit: int | None,
    url_weight: int | None,
    as_json: bool,
    thread: bool,
    numbering: bool,
    message: str,
) -> None:
    if message == "-":
        message = sys.stdin.read().removesuffix("\n")
    rules = TextRules.for_network(network, limit, url_weight)  # type: ignore[arg-type]
    verdict = judge(message, rules, thread, numbering)
    if as_json:
        payload: dict[str, Any] = {
            "network": network,
            "count": verdict.count,
            "limit": rules.limit,
            "fits": verdict.fits,
            "parts": verdict.parts,
            "counts": [count(part, rules) for part in verdict.parts or []],
            "reason": verdict.reason,
        }
        click.echo(orjson.dumps(payload).decode())
    else:
        _print_table(message, rules, verdict)
    if verdict.parts is None:
        sys.exit(1)


def _print_table(message: str, rules: TextRules, verdict: Verdict) -> None:
    from rich.console import Console
    from rich.table import Table

    label = _("fits") if verdict.fits else _("too long")
    title = f"{NETWORK_NAMES[rules.network]} : {verdict.count} / {rules.limit} — {label}"
    if rules.byte_limit is not None:
        title += " " + _("({used} / {limit} bytes)").format(
            used=len(message.encode()), limit=rules.byte_limit
        )
    console = Console()
    if verdict.reason is not None:
        console.print(title)
        click.secho(verdict.reason["message"], fg="red", err=True)
        if verdict.reason["piece"]:
            click.echo(verdict.reason["piece"], err=True)
        return
    table = Table(title=title, show_lines=True)
    table.add_column("#", justify="right")
    table.add_column(_("count"), justify="right")
    table.add_column(_("text"), overflow="fold")
    for index, part in enumerate(verdict.parts or [], start=1):
        table.add_row(str(index), str(count(part, rules)), part)
    console.print(table)
