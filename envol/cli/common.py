"""Helpers shared by the command modules: import from here, not from `envol.cli` (no cycles)."""

from __future__ import annotations

import os
import sys
from typing import Any

import click


def setup_django() -> None:
    """Configure Django once, for commands that touch the database or the apps."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "envol.settings")
    django.setup()
    from django.utils import translation

    translation.activate(cli_language())


def cli_language() -> str:
    """French unless ENVOL_LANGUAGE or the shell's LANG asks for English."""
    wanted = os.environ.get("ENVOL_LANGUAGE") or os.environ.get("LANG", "")
    return "en" if wanted.lower().startswith("en") else "fr"


def read_secret(prompt: str, confirm: bool = False) -> str:
    """A secret from stdin when piped, else from a hidden prompt: never from argv (it would
    end up in shell history and process lists)."""
    if not sys.stdin.isatty():
        value = sys.stdin.readline().rstrip("\n")
        if not value:
            raise click.UsageError(f"{prompt}: nothing on standard input.")
        return value
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=confirm))


def fail(message: str) -> None:
    """Print a user-facing mistake (one line per line of it) on stderr and exit with 1."""
    for line in str(message).splitlines() or [""]:
        click.secho(line, fg="red", err=True)
    sys.exit(1)


def organisation_or_exit(slug: str) -> Any:
    """The organisation `slug`, or its clear error and exit status 1 (Django set up first)."""
    from envol.orgs.services import OrgError, get_organisation

    try:
        return get_organisation(slug)
    except OrgError as exc:
        fail(str(exc))
