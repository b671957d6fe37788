"""`envol text check`: how long a text is for a network, and the thread it would become.

Why: communication teams write once and publish on several networks; this answers "does it fit,
and if not, how would it be cut?" from the shell, with the same rules the publishing code uses.
"""

from __future__ import annotations

import sys

import click
import orjson

from envol.networks.text import NETWORKS, TextRules, TextTooLong, count, fits, split_thread


@click.group()
def text() -> None:
    """Text rules of each network: counts, limits, threads."""


@text.command("check")
@click.option("--network", type=click.Choice(NETWORKS), required=True, help="Target network.")
@click.option("--max", "limit", type=click.IntRange(min=1), help="Instance limit (Mastodon: 500).")
@click.option("--url-weight", type=click.IntRange(min=0), help="Characters counted per URL.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--thread/--no-thread", default=True, help="Split a text that does not fit.")
@click.option("--numbering", is_flag=True, help="End each part of a thread with ' k/n'.")
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
    """Count TEXT (or standard input with '-') as NETWORK does, and show the parts."""
    if message == "-":
        message = sys.stdin.read().removesuffix("\n")
    rules = TextRules.for_network(network, limit, url_weight)  # type: ignore[arg-type]
    length = count(message, rules)
    text_fits = fits(message, rules)
    parts = [message]
    if thread and not text_fits:
        try:
            parts = split_thread(message, rules, numbering=numbering)
        except TextTooLong as exc:
            raise click.ClickException(str(exc)) from None
    if as_json:
        payload = {"count": length, "limit": rules.limit, "fits": text_fits, "parts": parts}
        click.echo(orjson.dumps(payload).decode())
        return
    _print_table(message, rules, length, text_fits, parts)


def _print_table(
    message: str, rules: TextRules, length: int, text_fits: bool, parts: list[str]
) -> None:
    from rich.console import Console
    from rich.table import Table

    verdict = "fits" if text_fits else "too long"
    title = f"{rules.network}: {length} / {rules.limit} — {verdict}"
    if rules.byte_limit is not None:
        title += f" ({len(message.encode())} / {rules.byte_limit} bytes)"
    table = Table(title=title, show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("count", justify="right")
    table.add_column("text", overflow="fold")
    for index, part in enumerate(parts, start=1):
        table.add_row(str(index), str(count(part, rules)), part)
    Console().print(table)
