"""`envol text check` as a communication team uses it from the shell or a script."""

from __future__ import annotations

import json

from click.testing import CliRunner

from envol.cli import main
from envol.networks.text import TextRules, fits


def check(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["text", "check", *args], input=stdin)
    return result.exit_code, result.output


def test_json_for_a_text_that_fits() -> None:
    code, output = check("--network", "x", "--json", "Bonjour 👋 https://example.com 日本")
    assert code == 0
    assert json.loads(output) == {
        "count": 39,
        "limit": 280,
        "fits": True,
        "parts": ["Bonjour 👋 https://example.com 日本"],
    }


def test_json_thread_from_stdin_with_instance_limits() -> None:
    text = (
        "Nous quittons X. Retrouvez-nous sur https://rennes.fr/reseaux et @ville@mastodon.social. "
        * 4
    )
    code, output = check(
        "--network", "mastodon", "--max", "120", "--url-weight", "30", "--json", "-", stdin=text
    )
    assert code == 0, output
    result = json.loads(output)
    assert set(result) == {"count", "limit", "fits", "parts"}
    assert result["limit"] == 120 and result["fits"] is False
    # Per sentence: 89 characters, the 25-character URL counts 30, "@mastodon.social" nothing.
    assert result["count"] == 4 * (89 - 25 + 30 - len("@mastodon.social"))
    rules = TextRules.mastodon(max_characters=120, url_weight=30)
    assert len(result["parts"]) > 1 and all(fits(part, rules) for part in result["parts"])


def test_no_thread_keeps_the_text_whole() -> None:
    code, output = check("--network", "bluesky", "--json", "--no-thread", "a " * 200)
    assert code == 0
    assert json.loads(output)["parts"] == ["a " * 200]


def test_table_and_clear_error() -> None:
    code, output = check("--network", "bluesky", "--numbering", "Bonjour. " * 40)
    assert code == 0 and "bluesky: 360 / 300" in output and "1/2" in output
    code, output = check("--network", "bluesky", "Lien : https://example.org/" + "a" * 300)
    assert code == 1 and "This URL alone is longer than one Bluesky post allows" in output
