"""The archive site's interface text, in French and English (the posts keep their own language).

The site is built in one language; every string is translated once per build (not once per page:
a build writes 100,000 pages), so the page writers read a plain `UiText`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import translation
from django.utils.dates import MONTHS
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

LANGS = ("fr", "en")


@dataclass(frozen=True)
class UiText:
    lang: str
    strings: dict[str, str]
    month_names: tuple[str, ...]  # index 1..12, as written in running text
    counted: dict[tuple[str, int], str] = field(default_factory=dict, compare=False, repr=False)

    def __getitem__(self, key: str) -> str:
        return self.strings[key]

    def count(self, key: str, count: int) -> str:
        """A counted phrase ("1 publication", "2 publications") in the build's language."""
        cached = self.counted.get((key, count))
        if cached is None:
            singular, plural = COUNTED[key]
            with translation.override(self.lang):
                cached = ngettext(singular, plural, count) % {"count": _number(count, self.lang)}
            self.counted[(key, count)] = cached
        return cached

    def date(self, moment: datetime) -> str:
        """12 mars 2020, 1er mars 2020 / 12 March 2020."""
        day = "1er" if moment.day == 1 and self.lang == "fr" else moment.day
        return f"{day} {self.month_names[moment.month]} {moment.year}"

    def date_time(self, moment: datetime) -> str:
        return f"{self.date(moment)}, {moment.hour:02d}:{moment.minute:02d}"

    def month(self, year: int, month: int) -> str:
        return capfirst(f"{self.month_names[month]} {year}")


def _number(count: int, lang: str) -> str:
    """10 000 (fr, narrow no-break space) / 10,000 (en)."""
    grouped = f"{count:,}"
    return grouped.replace(",", "\u202f") if lang == "fr" else grouped


# Counted phrases: (singular, plural) with %(count)s; translated with ngettext at use.
COUNTED = {
    "posts": ("%(count)s post", "%(count)s posts"),
    "thread_part": (
        "Part of a thread of %(count)s post: read it whole",
        "Part of a thread of %(count)s posts: read it whole",
    ),
    "thread_intro": (
        "This post belongs to a thread of %(count)s post, shown below in order.",
        "This post belongs to a thread of %(count)s posts, shown below in order.",
    ),
    "found": ("%(count)s post found", "%(count)s posts found"),
}


def _mark_counted() -> None:
    """Never called: lets makemessages see the counted phrases as plural entries."""
    ngettext("%(count)s post", "%(count)s posts", 1)
    ngettext(
        "Part of a thread of %(count)s post: read it whole",
        "Part of a thread of %(count)s posts: read it whole",
        1,
    )
    ngettext(
        "This post belongs to a thread of %(count)s post, shown below in order.",
        "This post belongs to a thread of %(count)s posts, shown below in order.",
        1,
    )
    ngettext("%(count)s post found", "%(count)s posts found", 1)


def _strings() -> dict[str, str]:
    """Every fixed string, in the active language."""
    return {
        "skip": _("Skip to content"),
        "menu": _("Archive menu"),
        "home": _("Home"),
        "search": _("Search"),
        "about": _("About this archive"),
        "site_title": _("Archive of %(name)s on X"),
        "breadcrumb": _("You are here"),
        "years": _("Posts by year"),
        "months": _("Posts by month"),
        "other_months": _("Other months"),
        "previous_month": _("Previous month: %(month)s"),
        "next_month": _("Next month: %(month)s"),
        "year_title": _("Posts of %(year)s"),
        "post_title": _("Post from %(date)s"),
        "thread_heading": _("The whole thread, in order"),
        "this_post": _("This post"),
        "reply_to": _("Reply to @%(username)s"),
        "repost": _("Repost of another account's post"),
        "quote_local": _("Quoted post, kept in this archive"),
        "quote_remote": _("Quoted post on X:"),
        "image_no_alt": _("Image without description"),
        "video": _("Video"),
        "description": _("Description: %(text)s"),
        "not_kept": _("This image is not kept in this archive."),
        "video_not_kept": _("This video is not kept in this archive."),
        "no_description": _("No description was written for it."),
        "on_bluesky": _("This post on Bluesky"),
        "long_post": _("Long post"),
        "about_static": _(
            "It is a static copy built with envol on %(date)s: it loads nothing from other sites "
            "and tracks no one."
        ),
        "about_what": _(
            "This site keeps the posts that %(name)s published on X as @%(username)s, "
            "from %(first)s to %(last)s: %(count)s."
        ),
        "where_now": _("Where to find %(name)s now"),
        "all_channels": _("All our channels on one page"),
        "no_channels": _("The organisation has not listed its new channels yet."),
        "old_links": _("Old links to X"),
        "old_links_text": _(
            "Each post keeps its own page. Where this archive is served on the organisation's own "
            "domain, old addresses of X posts (…/status/…) lead to their page here."
        ),
        "times": _("Times are those of the %(zone)s time zone."),
        "search_title": _("Search the archive"),
        "search_words": _("Words to find"),
        "search_year": _("Year"),
        "all_years": _("All years"),
        "search_button": _("Search"),
        "search_noscript": _(
            "Search needs JavaScript. Without it, every post is listed on the month pages:"
        ),
        "browse": _("browse by year and month"),
        "searching": _("Searching…"),
        "loading": _("Loading the posts of %(year)s…"),
        "none_found": _("No post contains these words."),
        "capped": _("Only the first %(count)s are shown: add words to narrow the search."),
        "type_words": _("Type one or more words."),
        "footer": _("Archive of %(name)s, built with envol. The posts belong to their authors."),
        "empty": _("This archive holds no post yet."),
    }


def ui_text(lang: str) -> UiText:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}")
    with translation.override(lang):
        names = ("", *(str(MONTHS[number]) for number in range(1, 13)))
        return UiText(lang, _strings(), names)


def build_summary(
    posts: int, output: str, seconds: float, not_kept: int, missing: int, wanted: str, used: str
) -> list[str]:
    """What `envol history site` says when done, in the active language."""
    lines = [
        ngettext(
            "%(count)s post written to %(output)s in %(seconds).1f s.",
            "%(count)s posts written to %(output)s in %(seconds).1f s.",
            posts,
        )
        % {"count": posts, "output": output, "seconds": seconds},
        _("Open index.html in a browser; redirect maps for old X links are in redirects/."),
    ]
    if not_kept:
        lines.append(
            ngettext(
                "%(count)s image or video was not kept by the import: its description is shown.",
                "%(count)s images or videos were not kept by the import: their descriptions "
                "are shown.",
                not_kept,
            )
            % {"count": not_kept}
        )
    if missing:
        lines.append(
            ngettext(
                "%(count)s media file kept by the import is no longer on the disk.",
                "%(count)s media files kept by the import are no longer on the disk.",
                missing,
            )
            % {"count": missing}
        )
    if wanted != used:
        lines.append(
            _("The colour %(wanted)s is too light for text: the site uses %(used)s.")
            % {"wanted": wanted, "used": used}
        )
    return lines


def no_such_import(import_id: int, org_slug: str) -> str:
    return _("No import %(id)s in organisation %(org)s.") % {"id": import_id, "org": org_slug}
