"""The ``envol`` command: one click group; each topic lives in its own module and is registered here."""

from __future__ import annotations

import os

import click


def setup_django() -> None:
    """Configure Django once, for commands that touch the database or the apps."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "envol.settings")
    django.setup()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="envol")
def main() -> None:
    """envol: leave X without losing your audience (portability, crossposting, ROI)."""


# Command groups, one module each (keep one import + add_command line per topic).
