"""Every page of envol in a real browser, in both themes, on a phone (375 px) and a desktop, with
JavaScript on and off: axe-core finds no serious or critical violation, the browser logs no
error, and the whole navigation (sections, account, sign-out, language) is there on a phone.
Screenshots land in artifacts/screenshots/walk-<theme>-<width>[-nojs]-<page>.png."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.test import RequestFactory, override_settings

from envol.testing import walk
from envol.testing.axe import axe_source, blocking_violations
from envol.testing.fixtures.browser import screenshot
from envol.testing.liveserver import running_envol
from envol.testing.subprocess_db import env_for_child

pytestmark = [
    pytest.mark.browser,
    pytest.mark.rendering,
    pytest.mark.django_db(transaction=True),
]
WIDTHS = (375, 1280)


def _axe() -> str:
    source = axe_source()
    if source is None:
        reason = "axe-core is not installed: run `make testservers`"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return source


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/accounts/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(walk.PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"{email} could not sign in"


def _server_error_html(theme: str) -> str:
    """The 500 page as the server renders it (in this process: no route may fail on purpose)."""
    from django.conf import settings

    from envol.web import themes
    from envol.web.views import server_error

    templates = [{**settings.TEMPLATES[0], "DIRS": themes.template_dirs(theme)}]
    with override_settings(ENVOL_THEME=theme, TEMPLATES=templates):
        return server_error(RequestFactory().get("/o/x/")).content.decode()


def _check_navigation(page: Any, signed_in_org: bool) -> list[str]:
    """On a phone, every way around is visible on the page itself (no menu that needs
    JavaScript): the sections, the account, sign-out and the language switch."""
    missing = []
    if page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"):
        missing.append("the page is wider than the screen")
    wanted = ["button[name=language]"]
    if signed_in_org:
        wanted += ["#main-nav a", "#account-name", "form[action$='/logout/'] button"]
    for selector in wanted:
        found = page.locator(selector)
        if found.count() == 0:
            missing.append(f"{selector}: absent")
        for i in range(found.count()):
            if not found.nth(i).is_visible():
                missing.append(f"{selector} #{i}: hidden")
    return missing


BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll("main table th, main table td")) {
    const texts = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = texts.nextNode(); node; node = texts.nextNode()) {
      for (const word of node.data.matchAll(/[^\\s\\-\u2010\u2014]+/g)) {
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        const lines = new Set([...range.getClientRects()].filter((r) => r.width > 1)
          .map((r) => Math.round(r.top)));
        if (lines.size > 1) broken.push(word[0]);
      }
    }
  }
  return broken;
}"""


def _check_tables(page: Any) -> list[str]:
    """On a phone a wide table scrolls inside its frame: no column is squeezed narrower than
    its longest word (no word broken across lines), and a frame that scrolls is focusable."""
    problems = [f"word broken in a table: {word!r}" for word in page.evaluate(BROKEN_WORDS)[:3]]
    unreachable = page.evaluate(
        """() => [...document.querySelectorAll("main table")].flatMap((t) => [t, t.parentElement])
          .filter((f) => f.scrollWidth > f.clientWidth + 1 && f.getAttribute("tabindex") !== "0")
          .length"""
    )
    if unreachable:
        problems.append(f"{unreachable} scrolling table frame(s) not focusable")
    return problems


@pytest.mark.timeout(1800)  # ~50 pages x 4 ways on a shared 2-core machine: a safety net only
@pytest.mark.parametrize("theme", ["envol", "dsfr"])
def test_every_page_in_both_themes(browser: Any, theme: str, tmp_path: Path) -> None:
    axe = _axe()
    seeded = walk.seed(tmp_path)
    server_error_html = _server_error_html(theme)
    server_dir = tmp_path / "server"
    server_dir.mkdir()
    problems: list[str] = []
    env = {**env_for_child(), "ENVOL_THEME": theme}
    with running_envol(["serve", "--no-worker"], server_dir, env=env, timeout=240) as base:
        for width in WIDTHS:
            for javascript in (True, False):
                label = f"{theme}-{width}{'' if javascript else '-nojs'}"
                contexts: dict[str | None, Any] = {}
                try:
                    for entry in [*walk.PAGES, None]:
                        user = None if entry is None or not entry.signed_in else entry.user
                        if user not in contexts:
                            context = browser.new_context(
                                locale="fr-FR",
                                viewport={"width": width, "height": 800},
                                java_script_enabled=javascript,
                            )
                            contexts[user] = context
                            page = context.new_page()
                            if user is not None:
                                _sign_in(page, base, user)
                        page = contexts[user].pages[0]
                        problems += _visit(
                            page,
                            base,
                            entry,
                            seeded,
                            label,
                            axe,
                            javascript,
                            width,
                            server_error_html,
                        )
                finally:
                    for context in contexts.values():
                        context.close()
    assert not problems, "\n".join(problems)


def _visit(
    page: Any,
    base: str,
    entry: walk.WalkPage | None,
    seeded: walk.Seeded,
    label: str,
    axe: str,
    javascript: bool,
    width: int,
    server_error_html: str,
) -> list[str]:
    errors: list[str] = []

    def on_console(message: Any) -> None:
        if message.type == "error":
            errors.append(message.text)

    def on_page_error(error: Any) -> None:
        errors.append(str(error))

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    url = ""
    try:
        if entry is None:  # the 500 page, served by the browser from the server's rendering
            name, status, url = "server-error", 500, base + "/walk-server-error/"
            page.route(
                url,
                lambda route: route.fulfill(
                    status=500, body=server_error_html, content_type="text/html; charset=utf-8"
                ),
            )
        else:
            name, status = entry.name, entry.status
            url = base + entry.path.format(**vars(seeded))
        response = page.goto(url)
        found: list[str] = []
        if response is None or response.status != status:
            found.append(f"status {response.status if response else None}, expected {status}")
        if status >= 400:  # the browser logs the document's own status: expected here
            errors[:] = [e for e in errors if "status of" not in e]
        found += [f"console: {e}" for e in errors]
        if javascript:
            found += blocking_violations(page, axe)
        if width == WIDTHS[0] and entry is not None:  # the 500 page needs nothing: no tools
            signed_in_org = entry is not None and entry.signed_in and entry.user == walk.EMAIL
            found += _check_navigation(page, signed_in_org and status == 200)
            found += _check_tables(page)
        screenshot(page, f"walk-{label}-{name}")
        return [f"{label} {name}: {problem}" for problem in found]
    finally:
        page.remove_listener("console", on_console)
        page.remove_listener("pageerror", on_page_error)
        if entry is None:
            page.unroute(url)
