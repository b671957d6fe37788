"""`envol text check` as a communication team uses it from the shell or a script.

With `--json` the answer is one JSON object on every network, whatever the text; the exit status
says whether it can be published (0), as it is or as a thread, or not (1).
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from envol.cli import main
from envol.networks.text import TextRules, count, fits

KEYS = {"network", "count", "limit", "fits", "parts", "counts", "reason"}


def check(*args: str, stdin: str | None = None, language: str = "fr") -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["text", "check", *args], input=stdin, env={"ENVOL_LANGUAGE": language}
    )
    return result.exit_code, result.output.replace("\u00a0", " ")  # French no-break spaces


def test_json_for_a_text_that_fits() -> None:
    code, output = check("--network", "x", "--json", "Bonjour 👋 https://example.com 日本")
    assert code == 0
    assert json.loads(output) == {
        "network": "x",
        "count": 39,
        "limit": 280,
        "fits": True,
        "parts": ["Bonjour 👋 https://example.com 日本"],
        "counts": [39],
        "reason": None,
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
    assert set(result) == KEYS and result["reason"] is None
    assert result["limit"] == 120 and result["fits"] is False
    # Per sentence: 89 characters, the 25-character URL counts 30, "@mastodon.social" nothing.
    assert result["count"] == 4 * (89 - 25 + 30 - len("@mastodon.social"))
    rules = TextRules.mastodon(max_characters=120, url_weight=30)
    assert len(result["parts"]) > 1 and all(fits(part, rules) for part in result["parts"])
    assert result["counts"] == [count(part, rules) for part in result["parts"]]


def test_no_thread_says_it_does_not_fit() -> None:
    code, output = check("--network", "bluesky", "--json", "--no-thread", "a " * 200)
    assert code == 1
    result = json.loads(output)
    assert result["parts"] is None and result["reason"]["code"] == "too_long"
    assert result["reason"]["message"] == "Trop long pour une publication Bluesky (400 / 300)."


LONG_LABELS = (  # twitter-text's conformance case: 12,076 characters, labels over 63 characters
    "Long url with invalid domain labels and a short url: https://"
    + "somesuperlongurl" * 749
    + ".com/foo https://validurl.com"
)


@pytest.mark.parametrize(
    ("network", "text", "code"),
    [
        ("x", LONG_LABELS, None),  # not a URL for X: it is cut like any text
        ("x", "", "empty"),
        ("bluesky", "   ", "empty"),
        ("x", "Bonjour\ufeff", "invalid_character"),
        ("bluesky", "Lien : https://example.org/" + "a" * 300, "url_too_long"),
        ("mastodon", "@" + "a" * 600, "mention_too_long"),
    ],
)
def test_json_always_answers(network: str, text: str, code: str | None) -> None:
    exit_code, output = check("--network", network, "--json", text)
    result = json.loads(output)  # JSON, whatever the text
    assert set(result) == KEYS and result["network"] == network
    if code is None:
        assert exit_code == 0 and result["reason"] is None and len(result["parts"]) > 1
    else:
        assert exit_code == 1 and result["parts"] is None and result["reason"]["code"] == code
        assert result["fits"] is False


def test_table_in_french_and_in_english() -> None:
    code, output = check("--network", "bluesky", "--numbering", "Bonjour. " * 40)
    assert code == 0 and "Bluesky : 360 / 300 — trop long" in output and "1/2" in output
    assert "octets" in output
    code, output = check("--network", "bluesky", "--numbering", "Bonjour. " * 40, language="en")
    assert code == 0 and "Bluesky : 360 / 300 — too long" in output and "bytes" in output
    code, output = check("--network", "bluesky", "Lien : https://example.org/" + "a" * 300)
    assert code == 1
    assert "Cette adresse (URL) seule est plus longue qu’une publication Bluesky (300)." in output


def test_help_is_french_by_default_and_english_on_request() -> None:
    code, output = check("--help")
    assert code == 0 and "Utilisation :" in output and "Réseau visé." in output
    assert "Afficher ce message et quitter." in output
    code, output = check("--help", language="en")
    assert "Usage:" in output and "Target network." in output
    code, output = check("--network", "x")  # no TEXT
    assert code == 2 and "Erreur :" in output
