"""Helpers shared by the command modules: import from here, not from `envol.cli` (no cycles)."""

from __future__ import annotations

import os
import sys

import click

from envol.cli.i18n import cli_language

__all__ = ["cli_language", "read_secret", "setup_django"]


def setup_django() -> None:
    """Configure Django once, for commands that touch the database or the apps."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "envol.settings")
    django.setup()
    from django.utils import translation

    translation.activate(cli_language())


def read_secret(prompt: str, confirm: bool = False) -> str:
    """A secret from stdin when piped, else from a hidden prompt: never from argv (it would
    end up in shell history and process lists)."""
    if not sys.stdin.isatty():
        value = sys.stdin.readline().rstrip("\n")
        if not value:
            raise click.UsageError(f"{prompt}: nothing on standard input.")
        return value
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=confirm))
