"""The desk's whole flow in a real browser with two members, against the real PDS and the
Mastodon test server: the editor writes with an image and its alternative text, previews each
network's variant (live, as typed), plans a time and submits; the same editor cannot approve
(no button, and the POST is refused); the reviewer approves; two workers publish the post at its
time, exactly once on both networks; the calendar shows it."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from envol.orgs.accounts import connect_bluesky
from envol.orgs.mastodon_accounts import connect_with_token
from envol.orgs.models import Role
from envol.orgs.services import add_member, create_organisation
from envol.publishing.compose import utc_to_local
from envol.publishing.models import Post
from envol.publishing.tests.test_publish import png
from envol.publishing.tests.test_reliability import assert_published_once
from envol.testing.fixtures.browser import screenshot
from envol.testing.fixtures.mastodon import MastodonAccount
from envol.testing.liveserver import running_envol
from envol.testing.pds import PdsServer, TestAccount
from envol.testing.subprocess_db import env_for_child, start_worker

pytestmark = [pytest.mark.browser, pytest.mark.pds, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-desk-123456"
TEXT = "La fête des Lumières commence ce soir à 18 h, place des Terreaux. #Lumieres"


def signed_in(browser: Any, base: str, email: str) -> Any:
    context = browser.new_context(locale="fr-FR", viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(base + "/accounts/login/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    return page


@pytest.mark.timeout(1500)  # a safety net: two minutes of planned wait on a shared machine
@override_settings(ENVOL_ALLOW_PRIVATE_NETWORKS=True)
def test_write_preview_submit_approve_publish_at_its_time(
    browser: Any,
    tmp_path: Path,
    pds: PdsServer,
    pds_account: TestAccount,
    mastodon_account: Callable[..., MastodonAccount],
) -> None:
    org = create_organisation("ville-desk", "Ville du Bureau")
    add_member(org, "redaction@desk.test", Role.EDITOR, password=PASSWORD)
    add_member(org, "relecture@desk.test", Role.REVIEWER, password=PASSWORD)
    bluesky = connect_bluesky(org, pds_account.handle, pds_account.password, pds.url)
    masto = mastodon_account("ville-desk")
    mastodon = connect_with_token(org, masto.api_base_url, masto.token)
    image = tmp_path / "terreaux.png"
    image.write_bytes(png(32, 20))
    env = {**env_for_child(), "ENVOL_ALLOW_PRIVATE_NETWORKS": "true"}
    workers = []
    with running_envol(["serve", "--no-worker"], tmp_path, env=env, timeout=240) as base:
        desk = f"{base}/o/{org.slug}/desk/"
        editor = signed_in(browser, base, "redaction@desk.test")
        editor.goto(desk + "new/")
        editor.locator("#id_text").fill(TEXT)
        for box in editor.locator("input[name=targets]").all():
            box.check()
        editor.locator("#id_image_1").set_input_files(str(image))
        editor.locator("#id_image_alt_1").fill("La place des Terreaux illuminée")
        editor.locator("button[name=action][value=preview]").click()
        editor.wait_for_load_state()
        variants = editor.locator("#desk-preview .desk-variant")
        assert variants.count() == 2
        assert "Rien n'empêche cette publication." in editor.locator("#desk-problems").inner_text()
        screenshot(editor, "desk-compose-preview-fr")
        post = Post.objects.get()
        assert post.media.get().alt_text == "La place des Terreaux illuminée"

        # the live preview: the server's count of what is typed, before any save
        editor.locator("#id_text").fill(TEXT + " " + "encore " * 60)
        editor.wait_for_selector("#desk-preview[data-fresh]")
        for count in editor.locator("#desk-preview [data-count]").all():  # each part fits
            assert int(count.get_attribute("data-count")) <= int(count.get_attribute("data-limit"))
        assert editor.locator("#desk-preview .desk-part").count() > 2  # cut into threads
        editor.locator("#id_text").fill(TEXT)

        planned = utc_to_local(org, timezone.now() + timedelta(minutes=2))
        editor.locator("#id_planned_date").fill(planned.strftime("%Y-%m-%d"))
        editor.locator("#id_planned_time").fill(planned.strftime("%H:%M"))
        editor.locator("button[name=action][value=submit]").click()
        editor.wait_for_load_state()
        post.refresh_from_db()
        assert post.state == Post.State.IN_REVIEW and post.planned_at is not None

        assert editor.locator(f"form[action$='/{post.pk}/approve/']").count() == 0
        token = next(c["value"] for c in editor.context.cookies() if c["name"] == "csrftoken")
        refused = editor.request.post(
            f"{desk}{post.pk}/approve/", headers={"X-CSRFToken": token, "Referer": desk}
        )
        assert refused.status == 403
        post.refresh_from_db()
        assert post.state == Post.State.IN_REVIEW

        workers = [start_worker(ENVOL_ALLOW_PRIVATE_NETWORKS="true") for _ in range(2)]
        reviewer = signed_in(browser, base, "relecture@desk.test")
        reviewer.goto(desk + "review/")
        reviewer.locator(f"a[href$='/desk/{post.pk}/']").first.click()
        reviewer.wait_for_load_state()
        screenshot(reviewer, "desk-review-fr")
        reviewer.get_by_role("button", name="Valider", exact=True).click()
        reviewer.wait_for_load_state()
        post.refresh_from_db()
        assert post.state == Post.State.SCHEDULED

        deadline = time.monotonic() + 600
        while post.state in (Post.State.SCHEDULED, Post.State.PUBLISHING):
            assert time.monotonic() < deadline, "the post never went out"
            time.sleep(0.2)
            post.refresh_from_db()
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
        assert_published_once(post, pds, masto, bluesky, mastodon)
        assert all(p.sent_at >= post.planned_at for p in post.publications.all())

        reviewer.goto(f"{desk}calendar/?date={planned.strftime('%Y-%m-%d')}")
        entry = reviewer.locator(f".desk-entry[data-post='{post.pk}']")
        assert "publié" in entry.inner_text().lower()
        screenshot(reviewer, "desk-calendar-fr")
        reviewer.goto(desk + "published/")
        assert reviewer.locator("a[href^='http']").count() >= 2  # each copy's public address
    for worker in workers:
        if worker.poll() is None:
            worker.kill()
