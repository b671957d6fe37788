"""The command line in the user's language: French unless ENVOL_LANGUAGE or LANG asks for English.

Why not Django's translation: `envol --help` and `envol text check` must not set Django up (it
reads the configuration and takes time). The catalogue is the project's own
(`envol/locale/<lang>/LC_MESSAGES/django.mo`, compiled by `make messages`), read with the standard
library's gettext.

Help texts are *lazy*: click stores them when the modules are imported, the language is known
only when a command runs (tests switch it per invocation). `command` and `group` below
make click commands whose help is kept as the English message and translated when displayed;
`gettext_noop` marks such messages for `makemessages`; option help texts are translated where
click lays them out (the formatter below). Click's own words ("Usage:", "Options",
"Show this message and exit.", its error messages) are translated on display too.
"""

from __future__ import annotations

import functools
import gettext as stdlib_gettext
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"


def cli_language() -> str:
    """French unless ENVOL_LANGUAGE or the shell's LANG asks for English."""
    wanted = os.environ.get("ENVOL_LANGUAGE") or os.environ.get("LANG", "")
    return "en" if wanted.lower().startswith("en") else "fr"


@functools.cache
def _catalog(language: str) -> stdlib_gettext.NullTranslations:
    return stdlib_gettext.translation(
        "django", localedir=LOCALE_DIR, languages=[language], fallback=True
    )


def _(message: str) -> str:
    """`message` in the command line's language, now."""
    return _catalog(cli_language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _catalog(cli_language()).ngettext(singular, plural, count)


def format_count(number: int) -> str:
    """12,345 in English, 12 345 (narrow no-break space) in French."""
    grouped = f"{number:,}"
    return grouped if cli_language() == "en" else grouped.replace(",", "\u202f")


def gettext_noop(message: str) -> str:
    """Marks a message for translation; it is translated where it is displayed."""
    return message


# Click's own words, translated where click displays them (see TranslatedFormatter, show_error).
CLICK_MESSAGES = [
    gettext_noop("Usage:"),
    gettext_noop("Options"),
    gettext_noop("Commands"),
    gettext_noop("Show this message and exit."),
    gettext_noop("Show the version and exit."),
    gettext_noop("Error: {message}"),
    gettext_noop("Try '{command} {option}' for help."),
    gettext_noop("default"),
    gettext_noop("required"),
    gettext_noop("Aborted!"),
]


class TranslatedFormatter(click.HelpFormatter):
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix=_(prefix or "Usage:") + " ")

    def write_heading(self, heading: str) -> None:
        super().write_heading(_(heading))

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl(
            [(term, _translate_extras(text)) for term, text in rows], col_max, col_spacing
        )


_EXTRAS = re.compile(r"^(?P<help>.*?)(?P<gap>\s*)\[(?P<extras>[^\[\]]*)\]$", re.DOTALL)


def _translate_extras(text: str) -> str:
    """Click appends "[default: x; required]" to an option's help: translate those words too."""
    found = _EXTRAS.match(text)
    if found is None:
        return _(text)
    extras = []
    for extra in found.group("extras").split("; "):
        name, colon, value = extra.partition(": ")
        extras.append(f"{_(name)} : {value}" if colon else _(extra))
    head = _(found.group("help")) if found.group("help") else ""
    return f"{head}{found.group('gap')}[{'; '.join(extras)}]"


class TranslatedContext(click.Context):
    formatter_class = TranslatedFormatter


class _LazyHelp:
    """The `help` and `short_help` of a command, translated when read."""

    @property
    def help(self) -> str | None:
        return _(self._help) if self._help else self._help

    @help.setter
    def help(self, value: str | None) -> None:
        self._help = value

    @property
    def short_help(self) -> str | None:
        return _(self._short_help) if self._short_help else self._short_help

    @short_help.setter
    def short_help(self, value: str | None) -> None:
        self._short_help = value


class TranslatedCommand(_LazyHelp, click.Command):
    context_class = TranslatedContext


class TranslatedGroup(_LazyHelp, click.Group):
    context_class = TranslatedContext
    command_class = TranslatedCommand
    group_class = type  # subgroups are TranslatedGroups too

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Click's standalone mode, with its error messages in the user's language."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as error:
            show_error(error)
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo(_("Aborted!"), err=True)
            sys.exit(1)
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
        sys.exit(0)


def command(name: str | None = None, **attrs: Any) -> Callable[[Any], TranslatedCommand]:
    return click.command(name, cls=TranslatedCommand, **attrs)


def group(name: str | None = None, **attrs: Any) -> Callable[[Any], TranslatedGroup]:
    return click.group(name, cls=TranslatedGroup, **attrs)


def show_error(error: click.ClickException) -> None:
    """Click's `ClickException.show`, with its words in the command line's language."""
    if isinstance(error, click.UsageError) and error.ctx is not None:
        click.echo(error.ctx.get_usage(), err=True)
        names = error.ctx.help_option_names
        if error.ctx.command.get_help_option(error.ctx) is not None and names:
            hint = _("Try '{command} {option}' for help.").format(
                command=error.ctx.command_path, option=names[0]
            )
            click.echo(hint, err=True)
        click.echo(err=True)
    click.echo(_("Error: {message}").format(message=error.format_message()), err=True)
