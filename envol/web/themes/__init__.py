"""Themes: envol's own look (default) and the French State design system (opt-in, State sites only).

A theme is a folder `themes/<name>/` with `templates/theme/base.html` (the page frame),
`templates/ui/*.html` (components whose markup differs: form fields…) and `vocabulary.py` (the
classes of each component, used through `{% ui "button secondary" %}`). Page templates name
components, never a theme's classes, so they are the same for every theme. Pure Python: the
settings import this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import import_module
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Component:
    """A component's classes: `base` always, one entry of `modifiers` per modifier named."""

    base: str
    modifiers: dict[str, str] = field(default_factory=dict)


class UnknownComponent(LookupError):
    """A template named a component or a modifier that the theme does not define."""


def template_dirs(theme: str) -> list[Path]:
    """The theme's templates, looked up before the apps' own (settings.TEMPLATES DIRS)."""
    return [HERE / theme / "templates"]


def vocabulary(theme: str) -> dict[str, Component]:
    vocabulary: dict[str, Component] = import_module(f"envol.web.themes.{theme}.vocabulary").CLASSES
    return vocabulary


@lru_cache(maxsize=1024)
def classes(theme: str, names: str) -> str:
    """`classes("dsfr", "button secondary sm")` → "fr-btn fr-btn--secondary fr-btn--sm"
    (remembered: a page asks for the same few dozen components on every view)."""
    words = names.split()
    if not words:
        raise UnknownComponent("no component named")
    component = vocabulary(theme).get(words[0])
    if component is None:
        raise UnknownComponent(f"theme {theme!r} has no component {words[0]!r}")
    found = [component.base]
    for modifier in words[1:]:
        if modifier not in component.modifiers:
            raise UnknownComponent(f"component {words[0]!r} of {theme!r} has no {modifier!r}")
        found.append(component.modifiers[modifier])
    return " ".join(c for c in found if c)
