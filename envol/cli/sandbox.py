"""`envol sandbox`: local Bluesky and Mastodon servers with demo accounts, for trials and demos."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path

import click

from envol.cli.common import setup_django
from envol.cli.i18n import _, command, gettext_noop


def start_sandbox(
    connect_org: str | None,
    ports: tuple[int, int, int, int] | None = None,
    *,
    appview: bool = True,
) -> object:
    """Start the servers; connect `connect_org` to the sandbox's own accounts when given.

    `ports`: PDS, PLC, Mastodon, AppView (default: the ENVOL_SANDBOX_*_PORT variables)."""
    os.environ["ENVOL_ALLOW_PRIVATE_NETWORKS"] = "true"
    setup_django()
    from django.conf import settings

    from envol.testing.sandbox import APPVIEW_PORT, MASTODON_PORT, PDS_PORT, PLC_PORT, Sandbox

    pds_port, plc_port, mastodon_port, appview_port = ports or (
        int(os.environ.get("ENVOL_SANDBOX_PDS_PORT", PDS_PORT)),
        int(os.environ.get("ENVOL_SANDBOX_PLC_PORT", PLC_PORT)),
        int(os.environ.get("ENVOL_SANDBOX_MASTODON_PORT", MASTODON_PORT)),
        int(os.environ.get("ENVOL_SANDBOX_APPVIEW_PORT", APPVIEW_PORT)),
    )
    sandbox = Sandbox.start(
        Path(settings.DATA_DIR),
        pds_port=pds_port,
        plc_port=plc_port,
        mastodon_port=mastodon_port,
        appview_port=appview_port if appview else None,
    )
    if sandbox.pds is not None and sandbox.pds.appview_url:
        # Counts of the sandbox's accounts come from its own AppView (the public one knows
        # nothing of them); the worker started after this reads the same variable.
        os.environ["ENVOL_BLUESKY_APPVIEW"] = sandbox.pds.appview_url
        settings.ENVOL_BLUESKY_APPVIEW = sandbox.pds.appview_url
    if connect_org:
        from envol.orgs.sandbox import connect_to_sandbox

        connect_to_sandbox(connect_org, sandbox)
    return sandbox


def print_sandbox(sandbox: object) -> None:
    from envol.testing.sandbox import Sandbox

    assert isinstance(sandbox, Sandbox)
    info = sandbox.describe()
    click.secho(_("envol sandbox (local servers, loopback only)"), bold=True)
    click.echo(f"  Bluesky PDS: {info['bluesky_pds'] or _('not running')}")
    click.echo(f"  Bluesky AppView: {info['bluesky_appview'] or _('not running')}")
    click.echo(f"  Mastodon:    {info['mastodon']}")
    for account in sandbox.accounts:
        secret = account.password or account.token
        role = account.partner or _("organisation")
        click.echo(f"  {account.network:9} {account.handle:40} {role:13} {secret}")
    for problem in sandbox.problems:
        click.secho(f"  ! {problem}", fg="yellow")


@command(
    help=gettext_noop(
        "Start a local Bluesky PDS and AppView and a Mastodon test server with demo accounts "
        "(Ctrl-C stops)."
    )
)
@click.option(
    "--connect-org", default=None, help=gettext_noop("Connect this organisation to the sandbox.")
)
@click.option(
    "--json", "as_json", is_flag=True, help=gettext_noop("Print URLs and accounts as JSON.")
)
@click.option("--pds-port", default=2583, show_default=True, type=int)
@click.option("--plc-port", default=2582, show_default=True, type=int)
@click.option("--mastodon-port", default=3000, show_default=True, type=int)
@click.option("--appview-port", default=2584, show_default=True, type=int)
@click.option(
    "--appview/--no-appview",
    default=True,
    show_default=True,
    help=gettext_noop(
        "Run the Bluesky AppView (profiles, counts, feeds) on a throwaway PostgreSQL."
    ),
)
def sandbox(
    connect_org: str | None,
    as_json: bool,
    pds_port: int,
    plc_port: int,
    mastodon_port: int,
    appview_port: int,
    appview: bool,
) -> None:
    running = start_sandbox(
        connect_org, (pds_port, plc_port, mastodon_port, appview_port), appview=appview
    )
    if as_json:
        from envol.testing.sandbox import Sandbox

        assert isinstance(running, Sandbox)
        click.echo(json.dumps(running.describe()), nl=True)
        sys.stdout.flush()
    else:
        print_sandbox(running)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    click.echo(_("Ctrl-C stops the sandbox."))
    stop.wait()
    running.stop()  # type: ignore[attr-defined]
    click.echo(_("Sandbox stopped."))
