"""The two themes: chosen by ENVOL_THEME (a bad value is one clear line), the same components in
both, no State marks in envol's own, and templates the strict CSP accepts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings

from envol import config
from envol.orgs.models import Role
from envol.orgs.services import add_member, create_organisation
from envol.web import themes

ROOT = Path(__file__).resolve().parents[2]


def theme_settings(theme: str) -> dict[str, object]:
    templates = [{**settings.TEMPLATES[0], "DIRS": themes.template_dirs(theme)}]
    return {"ENVOL_THEME": theme, "TEMPLATES": templates}


def test_a_bad_theme_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVOL_THEME", "marianne")
    with pytest.raises(config.ConfigError) as caught:
        config.theme()
    assert str(caught.value) == "ENVOL_THEME: unknown value 'marianne'. Put one of: envol, dsfr."
    monkeypatch.setenv("ENVOL_THEME", "DSFR")
    assert config.theme() == "dsfr"
    monkeypatch.delenv("ENVOL_THEME")
    assert config.theme() == "envol"


def test_both_themes_name_the_same_components_and_modifiers() -> None:
    envol, dsfr = themes.vocabulary("envol"), themes.vocabulary("dsfr")
    assert envol.keys() == dsfr.keys()
    for name in envol:
        assert envol[name].modifiers.keys() == dsfr[name].modifiers.keys(), name
    assert themes.classes("dsfr", "button secondary sm") == "fr-btn fr-btn--secondary fr-btn--sm"
    with pytest.raises(themes.UnknownComponent):
        themes.classes("envol", "button shiny")


def test_no_template_has_inline_script_style_or_a_theme_class() -> None:
    """The CSP allows scripts and styles from envol's own files only; page templates name
    components, so only the DSFR theme's own folder may hold fr-* classes."""
    for template in ROOT.glob("envol/**/templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        where = template.relative_to(ROOT)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), where
        assert "<style" not in text and "style=" not in text, where
        assert not re.search(r"\son[a-z]+=", text), where
        if "themes/dsfr" not in str(where):
            assert not re.search(r"\bfr-[a-z]", text), where


@pytest.mark.django_db
@pytest.mark.parametrize("theme", ["envol", "dsfr"])
def test_pages_render_in_each_theme(theme: str) -> None:
    org = create_organisation("ville-a", "Ville A")
    add_member(org, "a@a.test", Role.ADMIN, password="pw-a-123456")
    client = Client()
    client.login(username="a@a.test", password="pw-a-123456")
    with override_settings(**theme_settings(theme)):
        html = client.get("/o/ville-a/").content.decode()
        login = Client().get("/accounts/login/").content.decode()
    if theme == "dsfr":
        assert "fr-header" in html and "République" in html and "dsfr.min.css" in html
    else:
        assert "République" not in html + login and "Marianne" not in html + login
        assert "dsfr" not in html + login and "envol/envol.css" in html
    assert 'id="main-nav"' in html and "/about/accessibility/" in login
