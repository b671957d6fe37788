"""Post history, callable from the CLI, the web pages and the tasks alike.

The archive site: `build_site` writes the static site of an import's posts into any folder (the
CLI's `envol history site`); `ArchiveSite` rows keep the organisation's own build under the
data directory, which `published_file` serves at /<org-slug>/archive/ once an admin publishes it.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, Final
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from envol.history import texts
from envol.history.contrast import ColourError, SafeColour, safe_colour
from envol.history.models import ArchiveSite
from envol.history.pages import Channel
from envol.history.redirects import RedirectError, check_base_url
from envol.history.site import (
    MARKER,
    BlueskyUriFor,
    BuildReport,
    Progress,
    SiteBuilder,
    SiteError,
    SiteSpec,
    no_bluesky_posts,
)
from envol.jobs.kinds import Outcome, Step, to
from envol.jobs.transitions import move
from envol.leaving import services as leaving
from envol.orgs.models import Organisation
from envol.orgs.services import RESERVED_SLUGS, audit
from envol.portability.models import ArchiveImport, SourceAccount

SITES: Final = "history/sites"
# files of a build that are for the organisation's web server, not for readers (the Apache
# file names the data directory's path)
NOT_SERVED: Final = frozenset({"redirects", "_redirects", MARKER})


class HistoryError(Exception):
    """A user-facing mistake, with what to do."""


@dataclass(frozen=True)
class SiteResult:
    report: BuildReport
    colour: SafeColour
    output: Path


# ---------------------------------------------------------------- hooks


def bluesky_uri_lookup(source: SourceAccount) -> BlueskyUriFor:
    """X status id → URI of the post migrated to Bluesky (its first part), for the archive's
    links and the redirect maps: what the history migrations of the account's imports posted."""
    from envol.history.models import HistoryPost, PostState

    posted = dict(
        HistoryPost.objects.filter(
            job__archive_import__source_account=source,
            part=0,
            state__in=(PostState.DONE, PostState.ALREADY),
        )
        .exclude(remote_uri="")
        .values_list("x_id", "remote_uri")
    )
    if not posted:
        return no_bluesky_posts
    return posted.get


# ---------------------------------------------------------------- building


def importable(archive_import: ArchiveImport) -> SourceAccount:
    """The source account whose posts the site shows: all its posts, from this import and the
    others of the same account (imports add to one account, never duplicate)."""
    if archive_import.state != ArchiveImport.State.DONE or archive_import.source_account is None:
        raise HistoryError(
            _("Import %(id)s is not finished: build the archive site from a finished import.")
            % {"id": archive_import.pk}
        )
    return archive_import.source_account


def channels_of(org: Organisation) -> tuple[list[Channel], str]:
    """Where the organisation is now: its "where to find us" channels, and that page's address
    when it is published."""
    found = [Channel(c.label, c.handle, c.url) for c in leaving.channels(org)]
    page = leaving.published_page(org.slug)
    return found, leaving.public_url(org) if page is not None else ""


def build_site(
    archive_import: ArchiveImport,
    output: Path,
    *,
    lang: str = "fr",
    colour: str = "",
    base_url: str = "/",
    bluesky_uri_for: BlueskyUriFor | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> SiteResult:
    """Write the static archive site of the import's account into `output` (empty, or built by
    envol before). Raises HistoryError for a mistake the user can fix."""
    source = importable(archive_import)
    org = archive_import.organisation
    if lang not in texts.LANGS:
        raise HistoryError(_("Unknown language '%(lang)s': use fr or en.") % {"lang": lang})
    try:
        checked = safe_colour(colour or ArchiveSite._meta.get_field("colour").default)
    except ColourError:
        raise HistoryError(
            _("'%(colour)s' is not a colour: write it #rrggbb.") % {"colour": colour}
        ) from None
    try:
        base_url = check_base_url(base_url)
    except RedirectError:
        raise HistoryError(
            _("'%(url)s' cannot be the site's address: use a path like /archive/ or an https URL.")
            % {"url": base_url}
        ) from None
    channels, channels_page = channels_of(org)
    spec = SiteSpec(
        source=source,
        org_name=org.name,
        ui=texts.ui_text(lang),
        colour=checked.used,
        base_url=base_url,
        built_at=now or timezone.now(),
        channels=channels,
        channels_page=channels_page,
        bluesky_uri_for=bluesky_uri_for or bluesky_uri_lookup(source),
    )
    try:
        report = SiteBuilder(spec, output, progress).build()
    except SiteError as exc:
        raise HistoryError(str(exc)) from None
    return SiteResult(report, checked, output)


# ---------------------------------------------------------------- the organisation's own site


def site_of(org: Organisation) -> ArchiveSite:
    site, _created = ArchiveSite.objects.get_or_create(organisation=org)
    return site


def served_base_url(org: Organisation) -> str:
    """Where envol serves the published site: /<org-slug>/archive/ under the public URL."""
    prefix = urlsplit(settings.PUBLIC_URL).path.rstrip("/")
    return f"{prefix}/{org.slug}/archive/"


@transaction.atomic
def configure(
    site: ArchiveSite, *, archive_import: ArchiveImport, lang: str, colour: str, actor: Any
) -> SafeColour:
    if archive_import.organisation_id != site.organisation_id:
        raise HistoryError(_("This import belongs to another organisation."))
    importable(archive_import)
    try:
        checked = safe_colour(colour)
    except ColourError:
        raise HistoryError(
            _("'%(colour)s' is not a colour: write it #rrggbb.") % {"colour": colour}
        ) from None
    site.archive_import, site.lang, site.colour = archive_import, lang, checked.wanted
    site.save(update_fields=["archive_import", "lang", "colour", "updated_at"])
    audit(
        "history.site_configure",
        organisation=site.organisation,
        actor=actor,
        obj=site,
        archive_import=archive_import.pk,
        lang=lang,
        colour=checked.wanted,
    )
    return checked


def request_build(site: ArchiveSite, actor: Any) -> None:
    """Queue a build for the workers (a large archive takes up to a minute): a job of the
    engine, due at once."""
    if site.archive_import is None:
        raise HistoryError(_("Choose the import whose posts the site shows."))
    if site.is_busy:
        raise HistoryError(_("A build is already under way."))
    if not move(site, ArchiveSite.State.QUEUED, actor=actor, fields={"error": ""}):
        raise HistoryError(_("The site is changing right now: try again."))
    audit("history.site_build", organisation=site.organisation, actor=actor, obj=site)


def site_queued(site: ArchiveSite, step: Step) -> Outcome:
    """A worker took the build (its lease is the heartbeat a killed worker stops)."""
    return to(ArchiveSite.State.BUILDING)


def site_building(site: ArchiveSite, step: Step) -> Outcome:
    """Build into a new folder, then point the site at it and remove the previous build: a
    published site never shows a half-written build, and a build a killed worker left
    `building` is simply run again from the start (the engine takes its lease over)."""
    if site.archive_import is None:
        return to(
            ArchiveSite.State.FAILED,
            fields={"error": _("Choose the import whose posts the site shows.")},
        )
    folders = Path(settings.DATA_DIR) / SITES / str(site.organisation_id)
    _remove_leftover_builds(folders, keep=site.build_folder)
    folder = Path(SITES) / str(site.organisation_id) / f"build-{uuid.uuid4().hex}"
    target = Path(settings.DATA_DIR) / folder
    try:
        result = build_site(
            site.archive_import,
            target,
            lang=site.lang,
            colour=site.colour,
            base_url=served_base_url(site.organisation),
            bluesky_uri_for=step.context.get("bluesky_uri_for"),
            now=step.now,
        )
    except HistoryError as exc:
        shutil.rmtree(target, ignore_errors=True)
        return to(ArchiveSite.State.FAILED, fields={"error": str(exc)})
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise  # retried by the engine, then `failed` after too many errors in a row
    previous = site.build_folder
    if previous and previous != str(folder):
        shutil.rmtree(Path(settings.DATA_DIR) / previous, ignore_errors=True)
    return to(
        ArchiveSite.State.BUILT,
        fields={
            "build_folder": str(folder),
            "post_count": result.report.posts,
            "built_at": step.clock(),
            "error": "",
        },
    )


def run_build(site: ArchiveSite, *, clock: Any = None) -> ArchiveSite:
    """Queue a build and run it here to the end (the demo, the tests): the same job a worker
    runs."""
    from envol.jobs.runner import run_to_end

    if site.state != ArchiveSite.State.QUEUED:
        move(site, ArchiveSite.State.QUEUED, fields={"error": ""})
    return run_to_end(site, clock=clock)


def _remove_leftover_builds(folder: Path, keep: str) -> None:
    """Builds a killed worker left half-written (never the one being served)."""
    if not folder.is_dir():
        return
    for leftover in folder.glob("build-*"):
        if Path(keep).name != leftover.name:
            shutil.rmtree(leftover, ignore_errors=True)


@transaction.atomic
def set_published(site: ArchiveSite, published: bool, actor: Any) -> None:
    if published and not site.build_folder:
        raise HistoryError(_("Build the site before publishing it."))
    site.published = published
    site.save(update_fields=["published", "updated_at"])
    verb = "history.site_publish" if published else "history.site_unpublish"
    audit(verb, organisation=site.organisation, actor=actor, obj=site)


def published_file(slug: str, relative: str) -> Path | None:
    """The file of a published archive site at `relative` (a directory → its index.html), or
    None: unknown or unpublished site, a path leaving the build folder, no such file."""
    if slug.lower() in RESERVED_SLUGS:
        return None
    site = (
        ArchiveSite.objects.filter(organisation__slug=slug, published=True)
        .exclude(build_folder="")
        .first()
    )
    if site is None:
        return None
    root = (Path(settings.DATA_DIR) / site.build_folder).resolve()
    parts = PurePosixPath(relative).parts
    if parts and parts[0] in NOT_SERVED:
        return None
    if "\x00" in relative or any(
        part in ("..", "") or part.startswith(".") or "\\" in part for part in parts
    ):
        return None
    path = (root / relative).resolve() if relative else root
    if not path.is_relative_to(root):
        return None
    if path.is_dir():
        path = path / "index.html"
    return path if path.is_file() else None
