"""The accessibility statement and the legal notice: the administrator's text (Markdown, raw
HTML shown as text) or envol's default, in the reader's language."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from envol.web.models import SitePage

DEFAULTS = Path(__file__).resolve().parent / "site_texts"
# CommonMark without raw HTML: the text is the admin's, but nothing in it may become markup
# beyond what Markdown writes (markdown-it also refuses javascript: and data: links).
_markdown = MarkdownIt("commonmark", {"html": False})


def page_of(kind: str) -> SitePage:
    return SitePage.objects.filter(kind=kind).first() or SitePage(kind=kind)


def body_html(page: SitePage, language: str) -> SafeString:
    lang = "en" if language.startswith("en") else "fr"
    text = page.body_en if lang == "en" else page.body_fr
    if not text.strip():
        text = (page.body_fr or page.body_en) if (page.body_fr or page.body_en) else ""
    if not text.strip():
        text = (DEFAULTS / f"{page.kind}.{lang}.md").read_text(encoding="utf-8")
        text = text.replace("{public_url}", settings.PUBLIC_URL)
    html: str = _markdown.render(text)
    return mark_safe(html)  # noqa: S308 - markdown-it escapes, html off


def compliance_label(page: SitePage) -> str:
    return str(page.get_compliance_display())
