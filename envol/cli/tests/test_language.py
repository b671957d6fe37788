"""The command line speaks French by default and English on request, help texts included, with
counts that agree with their words."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from envol.cli import main
from envol.cli.i18n import _catalog
from envol.cli.migrate import _duration
from envol.cli.post import _parts_and_limit


def every_command(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += every_command(command, (*path, name))
        else:
            found.append((*path, name))
    return found


def help_of(path: tuple[str, ...], language: str) -> str:
    result = CliRunner().invoke(main, [*path, "--help"], env={"ENVOL_LANGUAGE": language})
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())  # one line: wrapping differs between languages


@pytest.mark.parametrize("path", every_command(main), ids=" ".join)
def test_every_help_is_translated(path: tuple[str, ...]) -> None:
    """A command added later without French help fails here, naming the English sentence."""
    french, english = help_of(path, "fr"), help_of(path, "en")
    assert "Utilisation :" in french and "Usage:" in english
    command = main
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    texts = [command._help] if getattr(command, "_help", None) else []
    texts += [p.help for p in command.params if isinstance(p, click.Option) and p.help]
    catalogue = _catalog("fr")._catalog  # type: ignore[attr-defined]
    for text in texts:
        assert text in catalogue, f"no French for {text!r}: add it to envol/locale/fr"
        assert " ".join(catalogue[text].split()) in french


def test_counts_agree_with_their_words() -> None:
    runner = CliRunner()
    with runner.isolation(env={"ENVOL_LANGUAGE": "fr"}):
        assert _parts_and_limit(1, 300, "graphemes") == "1 partie, limite 300 graphèmes"
        assert _parts_and_limit(3, 280, "weighted") == "3 parties, limite 280 (caractères pondérés)"
    with runner.isolation(env={"ENVOL_LANGUAGE": "en"}):
        assert _parts_and_limit(1, 300, "graphemes") == "1 part, limit 300 graphemes"


def test_a_countdown_of_days_in_each_language() -> None:
    runner = CliRunner()
    with runner.isolation(env={"ENVOL_LANGUAGE": "fr"}):
        assert _duration(90061) == "1 jour 1:01:01"
        assert _duration(2 * 86400 + 5) == "2 jours 0:00:05"
    with runner.isolation(env={"ENVOL_LANGUAGE": "en"}):
        assert _duration(90061) == "1 day 1:01:01"
        assert _duration(59) == "0:00:59"
