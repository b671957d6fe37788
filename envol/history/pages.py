"""The archive site's HTML, written by hand for speed and escaped by construction.

A build writes one page per post (100,000 and more), so pages are f-strings rather than
templates; the rule that keeps them safe is simple and tested: every value that comes from the
archive or the organisation goes through `esc` (or `render_text`, which escapes then links), and
only addresses starting with http:// or https:// — or relative paths envol made — reach an href.
No inline script, style or event handler anywhere: the Content-Security-Policy allows only the
site's own files.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache, partial
from typing import Final

from envol.archives.x_tweets import quoted_status
from envol.history.texts import UiText

esc: Final = partial(html.escape, quote=True)

CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "media-src 'self'; form-action 'self'; base-uri 'none'"
)
_URL = re.compile(r"https?://[^\s<>\"]+")
_TRAILING = ".,;:!?…'\"»”’"
_SHORT_LINK = re.compile(r"^https?://t\.co/", re.IGNORECASE)
_LANG_CODE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})?$")
# X's own codes that are no language (undefined, media or hashtags only…) and legacy ones.
_NO_LANGUAGE: Final = frozenset({"und", "zxx", "qme", "qht", "qam", "qct", "qst", "art"})
_LEGACY_LANG: Final = {"in": "id", "iw": "he", "ji": "yi"}


def post_path(post_id: str) -> str:
    """The permalink of a post, relative to the site's root."""
    return f"status/{post_id}.html"


def month_path(year: int, month: int) -> str:
    return f"{year}/{month:02d}.html"


def year_path(year: int) -> str:
    return f"{year}/index.html"


@lru_cache(maxsize=512)
def lang_attribute(code: str) -> str:
    """A valid BCP 47 value for X's language code; empty (unknown) for its non-languages."""
    code = code.strip()
    if not code or code.lower() in _NO_LANGUAGE or code.lower().startswith("q"):
        return ""
    if not _LANG_CODE.match(code):
        return ""
    primary, _sep, region = code.partition("-")
    primary = _LEGACY_LANG.get(primary.lower(), primary.lower())
    return f"{primary}-{region.upper()}" if region else primary


def http_url(url: str) -> str:
    """`url` when it may be a link (http or https), else empty."""
    lowered = url[:8].lower()
    return url if lowered.startswith(("http://", "https://")) else ""


def _split_trailing(url: str) -> tuple[str, str]:
    """A URL typed in running text without the punctuation that ends the sentence after it."""
    kept = url.rstrip(_TRAILING)
    while kept.endswith(")") and kept.count("(") < kept.count(")"):
        kept = kept[:-1]
    return kept, url[len(kept) :]


def render_text(text: str, local_href: Callable[[str], str]) -> str:
    """Escaped text whose http(s) links become links; a link to an archived X post goes to its
    page here (`local_href(id)`, empty when not archived); a t.co link stays plain text (it only
    redirects through X)."""
    if "http" not in text:
        return esc(text)
    parts: list[str] = []
    last = 0
    for found in _URL.finditer(text):
        url, trailing = _split_trailing(found[0])
        parts.append(esc(text[last : found.start()]))
        last = found.end()
        if _SHORT_LINK.match(url):
            parts.append(esc(url))
        else:
            status = quoted_status(url)
            target = (local_href(status) if status else "") or url
            parts.append(f'<a href="{esc(target)}">{esc(url)}</a>')
        parts.append(esc(trailing))
    parts.append(esc(text[last:]))
    return "".join(parts)


# --- posts -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MediaView:
    kind: str  # photo, video, animated_gif
    alt: str
    file: str  # name under media/, empty when the import did not keep the file


@dataclass(slots=True)
class PostView:
    """One post as the pages show it; `moment` is in the site's time zone."""

    id: str
    moment: datetime
    text: str
    lang: str
    is_retweet: bool = False
    reply_to_username: str = ""  # set only for replies to other accounts
    quoted_url: str = ""
    is_note: bool = False
    media: Sequence[MediaView] = ()
    thread_root: str = ""
    thread_size: int = 0
    bluesky_url: str = ""
    when: str = ""  # the date and time as shown, computed once per post

    def shown_date(self, ui: UiText) -> str:
        if not self.when:
            self.when = ui.date_time(self.moment)
        return self.when


@dataclass(frozen=True)
class Links:
    """How a page at some depth reaches the rest of the site."""

    root: str  # "" at the site's root, "../" one folder down
    archived: Callable[[str], bool]

    def local(self, post_id: str) -> str:
        return f"{self.root}{post_path(post_id)}" if self.archived(post_id) else ""


def article_content(post: PostView, ui: UiText, links: Links) -> str:
    """What a post says, shown alike on its month and on its own page (rendered once)."""
    out: list[str] = []
    context = []
    if post.is_retweet:
        context.append(esc(ui["repost"]))
    if post.reply_to_username:
        context.append(esc(ui["reply_to"] % {"username": post.reply_to_username}))
    if post.is_note:
        context.append(esc(ui["long_post"]))
    if context:
        out.append(f'<p class="post-context">{" · ".join(context)}</p>')
    if post.text:
        out.append(
            f'<p class="post-text" lang="{lang_attribute(post.lang)}" dir="auto">'
            f"{render_text(post.text, links.local)}</p>"
        )
    if post.media:
        out.append(_media(post.media, ui, links.root))
    if post.quoted_url:
        out.append(_quote(post.quoted_url, ui, links))
    bluesky = http_url(post.bluesky_url)
    if bluesky:
        out.append(
            f'<p class="post-bluesky"><a href="{esc(bluesky)}">{esc(ui["on_bluesky"])}</a></p>'
        )
    return "".join(out)


def article_body(
    post: PostView, ui: UiText, links: Links, heading: int, content: str | None = None
) -> str:
    """A post's content under a dated heading (`heading` 2 or 3; 0: none, the page's h1 already
    says it), with, on month pages (2), the way to its thread. `content` is the post's
    `article_content` when already rendered."""
    if content is None:
        content = article_content(post, ui, links)
    if not heading:
        return content
    title = (
        f'<h{heading} class="post-date"><a href="{links.root}{post_path(post.id)}">'
        f'<time datetime="{post.moment.isoformat()}">{esc(post.shown_date(ui))}</time>'
        f"</a></h{heading}>"
    )
    if post.thread_size > 1 and heading == 2:
        label = ui.count("thread_part", post.thread_size)
        content += (
            f'<p class="post-thread"><a href="{links.root}{post_path(post.thread_root)}">'
            f"{esc(label)}</a></p>"
        )
    return title + content


def _media(media: Sequence[MediaView], ui: UiText, root: str) -> str:
    items = []
    for item in media:
        is_video = item.kind in ("video", "animated_gif")
        if item.file:
            src = f"{root}media/{esc(item.file)}"
            if is_video:
                caption = esc(ui["description"] % {"text": item.alt}) if item.alt else ""
                items.append(
                    f'<li><figure><video controls preload="none" src="{src}" '
                    f'aria-label="{esc(item.alt or ui["video"])}"></video>'
                    f"{f'<figcaption>{caption}</figcaption>' if caption else ''}</figure></li>"
                )
            else:
                items.append(
                    f'<li><img src="{src}" alt="{esc(item.alt or ui["image_no_alt"])}" '
                    'loading="lazy"></li>'
                )
        else:
            missing = ui["video_not_kept"] if is_video else ui["not_kept"]
            described = ui["description"] % {"text": item.alt} if item.alt else ui["no_description"]
            items.append(f'<li class="media-missing"><p>{esc(missing)} {esc(described)}</p></li>')
    return f'<ul class="post-media">{"".join(items)}</ul>'


def _quote(url: str, ui: UiText, links: Links) -> str:
    status = quoted_status(url)
    local = links.local(status) if status else ""
    if local:
        return f'<p class="post-quote"><a href="{local}">{esc(ui["quote_local"])}</a></p>'
    target = http_url(url)
    if not target:
        return ""
    link = f'<a href="{esc(target)}">{esc(target)}</a>'
    return f'<p class="post-quote">{esc(ui["quote_remote"])} {link}</p>'


def article(post: PostView, body: str, *, current: bool = False) -> str:
    marker = ' aria-current="true"' if current else ""
    css = "post current" if current else "post"
    return f'<article class="{css}" id="p-{post.id}"{marker}>{body}</article>'


# --- pages -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteFacts:
    """What every page says about the archive."""

    org_name: str
    username: str
    ui: UiText
    built_on: str
    zone: str
    # the parts of the page frame that do not change, per folder depth and script
    frames: dict[tuple[str, str], tuple[str, str, str]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def title(self) -> str:
        return self.ui["site_title"] % {"name": self.org_name}


def shell_parts(
    facts: SiteFacts,
    *,
    title: str,
    root: str,
    crumbs: Iterable[tuple[str, str]] = (),
    script: str = "",
) -> tuple[str, str]:
    """The page around the main content, as (before, after): skip link, banner with the menu,
    breadcrumb, then the footer. `crumbs` are (label, href relative to the root) pairs; the
    last one is the current page (no link). Split in two so long pages can be streamed."""
    frame = facts.frames.get((root, script))
    if frame is None:
        frame = facts.frames[(root, script)] = _frame(facts, root, script)
    head, banner, footer = frame
    trail = list(crumbs)
    breadcrumb = ""
    if trail:
        ui = facts.ui
        items = [f'<li><a href="{root}index.html">{esc(ui["home"])}</a></li>']
        for position, (label, href) in enumerate(trail):
            if position == len(trail) - 1:
                items.append(f'<li aria-current="page">{esc(label)}</li>')
            else:
                items.append(f'<li><a href="{root}{href}">{esc(label)}</a></li>')
        breadcrumb = (
            f'<nav class="breadcrumb" aria-label="{esc(ui["breadcrumb"])}"><ol>'
            f"{''.join(items)}</ol></nav>"
        )
    before = (
        f"{head}<title>{esc(title)} — {esc(facts.title)}</title>{banner}{breadcrumb}"
        '<main id="main" tabindex="-1">'
    )
    after = footer
    return before, after


def _frame(facts: SiteFacts, root: str, script: str) -> tuple[str, str, str]:
    """(head before the title, from the title to the breadcrumb, footer) for pages at `root`."""
    ui = facts.ui
    nav = (
        f'<nav class="menu" aria-label="{esc(ui["menu"])}"><ul>'
        f'<li><a href="{root}index.html">{esc(ui["home"])}</a></li>'
        f'<li><a href="{root}search.html">{esc(ui["search"])}</a></li>'
        f'<li><a href="{root}about.html">{esc(ui["about"])}</a></li>'
        "</ul></nav>"
    )
    script_tag = f'<script src="{root}assets/{script}" defer></script>' if script else ""
    head = (
        f'<!doctype html>\n<html lang="{ui.lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="referrer" content="no-referrer">'
    )
    banner = (
        f'<link rel="stylesheet" href="{root}assets/site.css">{script_tag}</head>'
        f'<body><a class="skip" href="#main">{esc(ui["skip"])}</a>'
        f'<header class="banner"><p class="site-name"><a href="{root}index.html">'
        f"{esc(facts.title)}</a></p>{nav}</header>"
        '<div class="page">'
    )
    footer = (
        "</main></div>"
        f'<footer class="footer"><p>{esc(ui["footer"] % {"name": facts.org_name})} '
        f"{esc(ui['times'] % {'zone': facts.zone})}</p></footer></body></html>\n"
    )
    return head, banner, footer


def shell(
    facts: SiteFacts,
    *,
    title: str,
    root: str,
    main: str,
    crumbs: Iterable[tuple[str, str]] = (),
    script: str = "",
) -> str:
    before, after = shell_parts(facts, title=title, root=root, crumbs=crumbs, script=script)
    return f"{before}{main}{after}"


def post_page(
    facts: SiteFacts, post: PostView, body: str, thread: Sequence[tuple[PostView, str]]
) -> str:
    """A post's permalink page; `thread` holds every post of its thread (itself included) with
    its body rendered at heading level 3, in reading order — or nothing."""
    ui = facts.ui
    title = ui["post_title"] % {"date": post.shown_date(ui)}
    main = [f"<h1>{esc(title)}</h1>"]
    if len(thread) > 1:
        main.append(f'<p class="thread-intro">{esc(ui.count("thread_intro", len(thread)))}</p>')
        main.append(
            f'<section class="thread" aria-labelledby="thread-title">'
            f'<h2 id="thread-title">{esc(ui["thread_heading"])}</h2>'
        )
        for member, member_body in thread:
            current = member.id == post.id
            if current:
                member_body = f'<p class="this-post">{esc(ui["this_post"])}</p>{member_body}'
            main.append(article(member, member_body, current=current))
        main.append("</section>")
    else:
        main.append(article(post, body))
    year, month = post.moment.year, post.moment.month
    crumbs = [
        (str(year), year_path(year)),
        (ui.month(year, month), month_path(year, month)),
        (title, ""),
    ]
    return shell(facts, title=title, root="../", main="".join(main), crumbs=crumbs)


def month_page_parts(
    facts: SiteFacts,
    year: int,
    month: int,
    count: int,
    previous: tuple[int, int] | None,
    following: tuple[int, int] | None,
) -> tuple[str, str]:
    """A month page around its posts' articles (streamed in between by the builder)."""
    ui = facts.ui
    title = ui.month(year, month)
    pager = []
    if previous:
        label = ui["previous_month"] % {"month": ui.month(*previous)}
        pager.append(f'<li><a href="../{month_path(*previous)}" rel="prev">{esc(label)}</a></li>')
    if following:
        label = ui["next_month"] % {"month": ui.month(*following)}
        pager.append(f'<li><a href="../{month_path(*following)}" rel="next">{esc(label)}</a></li>')
    nav = (
        f'<nav class="pager" aria-label="{esc(ui["other_months"])}"><ul>{"".join(pager)}</ul></nav>'
        if pager
        else ""
    )
    crumbs = [(str(year), year_path(year)), (title, "")]
    before, after = shell_parts(facts, title=title, root="../", crumbs=crumbs)
    heading = f'<h1>{esc(title)} <span class="count">({esc(ui.count("posts", count))})</span></h1>'
    return f'{before}{heading}{nav}<div class="posts">', f"</div>{after}"


def _month_list(facts: SiteFacts, year: int, months: dict[int, int], root: str) -> str:
    items = [
        f'<li><a href="{root}{month_path(year, month)}">{esc(facts.ui.month(year, month))}</a> '
        f'<span class="count">({esc(facts.ui.count("posts", count))})</span></li>'
        for month, count in sorted(months.items())
    ]
    return f'<ul class="months">{"".join(items)}</ul>'


def year_page(facts: SiteFacts, year: int, months: dict[int, int]) -> str:
    ui = facts.ui
    title = ui["year_title"] % {"year": year}
    total = sum(months.values())
    main = (
        f'<h1>{esc(title)} <span class="count">({esc(ui.count("posts", total))})</span></h1>'
        f"<h2>{esc(ui['months'])}</h2>{_month_list(facts, year, months, '../')}"
    )
    return shell(facts, title=title, root="../", main=main, crumbs=[(str(year), "")])


def index_page(facts: SiteFacts, calendar: dict[int, dict[int, int]], about: str) -> str:
    """The home page: what this is, then every year and its months (the whole site, no JS)."""
    ui = facts.ui
    sections = []
    for year in sorted(calendar, reverse=True):
        months = calendar[year]
        label = ui.count("posts", sum(months.values()))
        sections.append(
            f'<section aria-labelledby="y{year}"><h3 id="y{year}">'
            f'<a href="{year_path(year)}">{year}</a> <span class="count">({esc(label)})</span></h3>'
            f"{_month_list(facts, year, months, '')}</section>"
        )
    years = "".join(sections) if sections else f"<p>{esc(ui['empty'])}</p>"
    main = (
        f"<h1>{esc(facts.title)}</h1><p>{about}</p>"
        f'<p><a href="about.html">{esc(ui["about"])}</a> · '
        f'<a href="search.html">{esc(ui["search_title"])}</a></p>'
        f"<h2>{esc(ui['years'])}</h2>{years}"
    )
    return shell(facts, title=ui["home"], root="", main=main)


@dataclass(frozen=True)
class Channel:
    label: str
    handle: str
    url: str


def about_page(
    facts: SiteFacts, about: str, channels: Sequence[Channel], channels_page: str
) -> str:
    ui = facts.ui
    items = []
    for channel in channels:
        url = http_url(channel.url)
        shown = f"{esc(channel.label)} — {esc(channel.handle)}"
        items.append(f'<li><a href="{esc(url)}">{shown}</a></li>' if url else f"<li>{shown}</li>")
    where = f"<ul>{''.join(items)}</ul>" if items else f"<p>{esc(ui['no_channels'])}</p>"
    page_url = http_url(channels_page)
    if page_url:
        where += f'<p><a href="{esc(page_url)}">{esc(ui["all_channels"])}</a></p>'
    main = (
        f"<h1>{esc(ui['about'])}</h1><p>{about}</p>"
        f"<p>{esc(ui['about_static'] % {'date': facts.built_on})}</p>"
        f"<h2>{esc(ui['where_now'] % {'name': facts.org_name})}</h2>{where}"
        f"<h2>{esc(ui['old_links'])}</h2><p>{esc(ui['old_links_text'])}</p>"
    )
    return shell(facts, title=ui["about"], root="", main=main, crumbs=[(ui["about"], "")])


def search_page(facts: SiteFacts, years: Sequence[int]) -> str:
    """The search form, shown by the script; without it, a pointer to the month pages. The
    script's texts travel in data attributes (no inline script under the CSP)."""
    ui = facts.ui
    options = "".join(f'<option value="{year}">{year}</option>' for year in years)
    singular, plural = ui.count("found", 1), ui.count("found", 2)
    data = {
        "years": ",".join(str(y) for y in years),
        "lang": ui.lang,
        "found-one": singular.replace("1", "{n}", 1),
        "found-other": plural.replace("2", "{n}", 1),
        "searching": ui["searching"],
        "loading": ui["loading"].replace("%(year)s", "{year}"),
        "none": ui["none_found"],
        "capped": ui["capped"].replace("%(count)s", "{n}"),
        "type-words": ui["type_words"],
    }
    attributes = " ".join(f'data-{key}="{esc(value)}"' for key, value in data.items())
    main = (
        f"<h1>{esc(ui['search_title'])}</h1>"
        f'<noscript><p>{esc(ui["search_noscript"])} <a href="index.html">{esc(ui["browse"])}</a>'
        "</p></noscript>"
        f'<form id="search-form" class="search" role="search" action="search.html" method="get" '
        f"hidden {attributes}>"
        f'<p><label for="q">{esc(ui["search_words"])}</label>'
        '<input id="q" name="q" type="search" autocomplete="off"></p>'
        f'<p><label for="year">{esc(ui["search_year"])}</label><select id="year" name="year">'
        f'<option value="">{esc(ui["all_years"])}</option>{options}</select></p>'
        f'<p><button type="submit">{esc(ui["search_button"])}</button></p></form>'
        '<p id="search-status" role="status" aria-live="polite"></p>'
        '<ol id="search-results" class="results"></ol>'
    )
    return shell(
        facts,
        title=ui["search_title"],
        root="",
        main=main,
        crumbs=[(ui["search_title"], "")],
        script="search.js",
    )
