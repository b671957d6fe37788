"""`{% ui "button secondary" %}`: the current theme's classes for a component and its modifiers,
so that page templates stay the same whatever the theme (see envol/web/themes/).

`{% table_frame %}<table><caption>…</caption>…</table>{% endtable_frame %}`: the theme's table
wrapper, a frame that scrolls sideways on a phone instead of squeezing the columns, focusable
(keyboard users scroll it with the arrow keys) and named after the table's caption."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from django import template
from django.conf import settings
from django.utils.html import format_html, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from envol.web import themes

register = template.Library()
CAPTION = re.compile(r"<caption\b[^>]*>(.*?)</caption>", re.DOTALL | re.IGNORECASE)


@register.simple_tag
def ui(*names: str) -> str:
    """Words are joined, so a modifier may come from a variable: `{% ui "badge sm" state %}`."""
    return themes.classes(settings.ENVOL_THEME, " ".join(str(n) for n in names if n))


class TableFrameNode(template.Node):
    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist

    def render(self, context: Any) -> SafeString:
        inner = self.nodelist.render(context)
        return table_frame(inner)


def table_frame(inner: str) -> SafeString:
    """A scrollable region (role, label, tabindex: the pattern axe's scrollable-region-focusable
    asks for) around already rendered table markup."""
    caption = CAPTION.search(inner)
    label = " ".join(unescape(strip_tags(caption.group(1))).split()) if caption else ""
    return format_html(
        '<div class="{}" role="region" tabindex="0" aria-label="{}">{}</div>',
        themes.classes(settings.ENVOL_THEME, "table"),
        label or _("Table"),
        mark_safe(inner),  # noqa: S308 - the template's own rendered output
    )


@register.tag("table_frame")
def do_table_frame(parser: template.base.Parser, token: template.base.Token) -> TableFrameNode:
    nodelist = parser.parse(("endtable_frame",))
    parser.delete_first_token()
    return TableFrameNode(nodelist)
