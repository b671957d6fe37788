"""Every page of the walk (`envol/testing/walk.py`) answered by the test client for its user, in
French and English, on the database of the run. The browser walk checks the pages' look
(themes, widths, accessibility) on SQLite only; this proves on PostgreSQL too that each page's
queries run and answer what the walk expects."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from envol.testing import walk


@pytest.mark.django_db
def test_every_page_of_the_walk_answers_its_user_in_both_languages(tmp_path: Path) -> None:
    seeded = walk.seed(tmp_path)
    clients: dict[str | None, Client] = {}
    wrong: list[str] = []
    for entry in walk.PAGES:
        user = entry.user if entry.signed_in else None
        if user not in clients:
            clients[user] = Client()
            if user is not None:
                assert clients[user].login(username=user, password=walk.PASSWORD), user
        path = entry.path.format(**vars(seeded))
        for language in ("fr", "en"):
            response = clients[user].get(path, headers={"accept-language": language})
            if response.status_code != entry.status:
                wrong.append(f"{entry.name} ({path}, {language}): {response.status_code}")
    assert not wrong, "\n".join(wrong)
