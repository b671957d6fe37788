"""Exports of accepted matches: Mastodon's own follow-import CSV, and Bluesky DIDs (CSV/JSON)."""

from __future__ import annotations

import csv
import io

import orjson
from django.utils.translation import gettext as _

from envol.crosswalk.models import Decision, Match
from envol.portability.models import ArchiveImport

MASTODON_HEADER = ["Account address", "Show boosts", "Notify on new posts", "Languages"]
MASTODON_MAX_ROWS = 20_000  # Mastodon refuses larger import files
FORMATS = ("mastodon-csv", "csv", "json")


class ExportError(ValueError):
    """The export asked for does not exist (wrong network for the format)."""


def _accepted(archive: ArchiveImport, network: str) -> list[tuple[str, str, str]]:
    return list(
        Match.objects.filter(archive_import=archive, network=network, decision=Decision.ACCEPTED)
        .order_by("remote_id")
        .values_list("remote_id", "remote_handle", "x_id")
        .distinct()
    )


def mastodon_follow_csv(archive: ArchiveImport) -> str:
    """Settings → Import and export → Import, type "Following list", in Mastodon."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MASTODON_HEADER)
    for acct, _handle, _x_id in _accepted(archive, "mastodon")[:MASTODON_MAX_ROWS]:
        writer.writerow([acct, "true", "false", ""])
    return out.getvalue()


def bluesky_csv(archive: ArchiveImport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["did", "handle", "x_id"])
    writer.writerows(_accepted(archive, "bluesky"))
    return out.getvalue()


def bluesky_json(archive: ArchiveImport) -> str:
    rows = [{"did": d, "handle": h, "x_id": x} for d, h, x in _accepted(archive, "bluesky")]
    return orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() + "\n"


def export(archive: ArchiveImport, network: str, fmt: str) -> tuple[str, str, str]:
    """(content, media type, file name) of one export."""
    if fmt == "mastodon-csv" and network == "mastodon":
        return mastodon_follow_csv(archive), "text/csv", f"mastodon-follows-{archive.pk}.csv"
    if fmt == "csv" and network == "bluesky":
        return bluesky_csv(archive), "text/csv", f"bluesky-dids-{archive.pk}.csv"
    if fmt == "json" and network == "bluesky":
        return bluesky_json(archive), "application/json", f"bluesky-dids-{archive.pk}.json"
    raise ExportError(
        _(
            "No %(format)s export for %(network)s: use mastodon-csv for Mastodon, "
            "csv or json for Bluesky."
        )
        % {"format": fmt, "network": network.capitalize()}
    )
