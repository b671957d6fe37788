"""Generated announcement texts fit each network's limits, in French and in English."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envol.leaving import services, texts
from envol.leaving.models import PublicLink
from envol.leaving.text_rules import rules_for
from envol.orgs.models import Organisation

LANGS = ["fr", "en"]


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGS)
def test_every_generated_text_fits_its_network(org: Organisation, lang: str) -> None:
    kit = services.announcement_kit(org, lang)
    assert [a.kind for a in kit] == ["x_post", "x_bio", "bluesky", "mastodon"]
    for announcement in kit:
        assert announcement.parts, announcement.kind
        for part in announcement.parts:
            assert part.fits, (announcement.kind, part.count, part.limit, part.text)
        joined = "\n".join(p.text for p in announcement.parts)
        assert services.public_url(org) in joined, announcement.kind


@pytest.mark.django_db
def test_texts_are_in_the_asked_language(org: Organisation) -> None:
    fr = services.announcement_texts(org, "fr")
    en = services.announcement_texts(org, "en")
    assert "ne publie plus sur X" in fr["x_post"][0]
    assert "no longer posts on X" in en["x_post"][0]
    assert fr["x_bio"][0].startswith("Nous sommes désormais sur Bluesky et Mastodon")
    assert "#introduction" in en["mastodon"][-1]


@pytest.mark.django_db
def test_x_announcement_uses_urls_not_handles(org: Organisation) -> None:
    """'@ville-exemple.fr' on X would mention an unrelated X account."""
    post = "\n".join(services.announcement_texts(org, "fr")["x_post"])
    assert "https://bsky.app/profile/ville-exemple.fr" in post
    assert not re.search(r"(^|\s)@\w", post)


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGS)
def test_many_channels_become_a_thread_that_fits(org: Organisation, lang: str) -> None:
    for i in range(12):
        PublicLink.objects.create(
            organisation=org,
            network="other",
            handle=f"Canal {i}",
            url=f"https://canal-{i}.ville-exemple.fr/",
            order=10 + i,
        )
    x_parts = services.announcement_kit(org, lang)[0].parts
    assert len(x_parts) > 1
    assert all(p.fits for p in x_parts)


@pytest.mark.django_db
def test_edited_text_is_used_and_reset_by_emptying(org: Organisation, editor: object) -> None:
    services.save_announcement(org, "fr", "bluesky", "Bonjour !\n---\nDeuxième message.", editor)
    assert services.announcement_texts(org, "fr")["bluesky"] == ["Bonjour !", "Deuxième message."]
    services.save_announcement(org, "fr", "bluesky", "   ", editor)
    assert "Bonjour Bluesky" in services.announcement_texts(org, "fr")["bluesky"][0]


@settings(max_examples=40, deadline=None)
@given(
    name=st.text(min_size=1, max_size=200),
    handles=st.lists(st.from_regex(r"[a-z0-9-]{1,40}\.[a-z]{2,6}", fullmatch=True), max_size=8),
    lang=st.sampled_from(LANGS),
)
def test_any_organisation_name_gives_texts_that_fit(
    name: str, handles: list[str], lang: str
) -> None:
    facts = texts.OrgFacts(
        name=name,
        page_url="https://envol.example.fr/ville/",
        channels=[
            texts.Channel("bluesky", "Bluesky", f"@{h}", f"https://bsky.app/profile/{h}")
            for h in handles
        ],
    )
    for kind, text in texts.generate(facts, lang).items():
        for part in texts.check(kind, texts.split(kind, text)):
            if kind == "x_bio":
                assert part.fits, part
            else:
                assert part.count <= rules_for(kind).limit, (kind, part)
