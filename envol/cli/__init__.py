"""The ``envol`` command: one click group; each topic lives in its own module, registered here."""

from __future__ import annotations

import sys

import click

from envol.cli.common import setup_django
from envol.cli.i18n import _, gettext_noop, group

__all__ = ["main", "run", "setup_django"]
from envol.config import ConfigError


@group(
    context_settings={"help_option_names": ["-h", "--help"]},
    help=gettext_noop(
        "envol: leave X without losing your audience (portability, crossposting, ROI)."
    ),
)
@click.version_option(package_name="envol")
def main() -> None:
    pass


# Command groups, one module each (keep one import + add_command line per topic).


def run() -> None:
    """Console entry point: configuration mistakes print one clear line, never a traceback."""
    try:
        main(standalone_mode=True)
    except ConfigError as exc:
        click.secho(_("Configuration error — {error}").format(error=exc), fg="red", err=True)
        sys.exit(2)


from envol.cli import accounts, orgs, post, sandbox, server  # noqa: E402  (registered after `main` exists)

main.add_command(server.demo)
main.add_command(server.serve)
main.add_command(server.worker_command)
main.add_command(server.manage)
main.add_command(orgs.org)
main.add_command(orgs.user)
main.add_command(accounts.accounts)
main.add_command(post.post)
main.add_command(post.post_retry)
main.add_command(sandbox.sandbox)
from envol.cli import leaving  # noqa: E402

main.add_command(leaving.leave)
from envol.cli import crosswalk  # noqa: E402

main.add_command(crosswalk.crosswalk)
main.add_command(crosswalk.match)
from envol.cli import text  # noqa: E402

main.add_command(text.text)
from envol.cli import migrate  # noqa: E402

main.add_command(migrate.migrate)
from envol.cli import archive  # noqa: E402

main.add_command(archive.archive)
from envol.cli import sharing  # noqa: E402

crosswalk.crosswalk.add_command(sharing.subscribe)
crosswalk.crosswalk.add_command(sharing.pull)
crosswalk.crosswalk.add_command(sharing.subscriptions)
main.add_command(sharing.people)
from envol.cli import insights  # noqa: E402

main.add_command(insights.insights)
main.add_command(insights.links)
from envol.cli import decide  # noqa: E402

main.add_command(decide.effort)
main.add_command(decide.roi_command)
main.add_command(decide.report_command)
from envol.cli import history  # noqa: E402

main.add_command(history.history)
from envol.cli import relay  # noqa: E402

main.add_command(relay.relay)
