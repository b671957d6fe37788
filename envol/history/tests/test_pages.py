"""The archive site's HTML: escaped by construction, links only to http(s) or the site itself,
valid language attributes, and the WCAG contrast arithmetic behind the organisation's colour."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envol.history import pages
from envol.history.contrast import (
    LIGHT_GREY,
    WHITE,
    ColourError,
    contrast_ratio,
    parse_hex,
    safe_colour,
)
from envol.history.pages import Links, MediaView, PostView
from envol.history.texts import ui_text

ARCHIVED = {"1300000000000000000", "42"}
LINKS = Links(root="../", archived=ARCHIVED.__contains__)
ALLOWED_TAGS = {"a", "p", "h2", "h3", "time", "ul", "li", "img", "figure", "video", "figcaption"}
MOMENT = datetime(2020, 3, 12, 13, 3, tzinfo=UTC)


class Collector(HTMLParser):
    """Every tag and attribute of a fragment, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(fragment: str) -> Collector:
    collector = Collector()
    collector.feed(fragment)
    collector.close()
    return collector


def assert_safe(fragment: str) -> Collector:
    found = parse(fragment)
    for tag, attrs in found.tags:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs.items():
            assert not name.startswith("on") and name != "style", (tag, name)
            if name in ("href", "src"):
                assert value is not None
                assert value.startswith(("http://", "https://", "../")), value
    return found


def test_text_is_escaped_and_only_http_links_are_links() -> None:
    text = (
        '<script>alert(1)</script> "quoted" & javascript:alert(1) '
        "https://example.org/a?b=1&c=<2> data:text/html,x"
    )
    html = pages.render_text(text, LINKS.local)
    found = assert_safe(html)
    assert [attrs["href"] for _tag, attrs in found.tags] == ["https://example.org/a?b=1&c="]
    assert "".join(found.text) == text


def test_t_co_stays_text_and_archived_statuses_link_here() -> None:
    text = (
        "voir https://t.co/AbCdEf123 et https://x.com/ville/status/42, "
        "https://twitter.com/autre/status/7 (https://example.org/page_(1))."
    )
    found = assert_safe(pages.render_text(text, LINKS.local))
    hrefs = [attrs["href"] for _tag, attrs in found.tags]
    assert hrefs == [
        "../status/42.html",
        "https://twitter.com/autre/status/7",
        "https://example.org/page_(1)",
    ]
    assert "".join(found.text) == text


@settings(max_examples=300, deadline=None)
@given(
    text=st.lists(
        st.sampled_from([*"<>\"'&=/ :.#;ahjpstvx()\n\u202e\u00a0", "https://", "t.co/"]),
        max_size=40,
    ).map("".join),
    alt=st.text(max_size=20),
    lang=st.text(max_size=12),
    quote=st.text(max_size=30),
)
def test_any_post_renders_to_safe_html(text: str, alt: str, lang: str, quote: str) -> None:
    post = PostView(
        id="1300000000000000000",
        moment=MOMENT,
        text=text,
        lang=lang,
        reply_to_username=alt,
        quoted_url=quote,
        media=[MediaView("photo", alt, "a.jpg"), MediaView("video", alt, "")],
        thread_root="42",
        thread_size=3,
        bluesky_url=quote,
    )
    html = pages.article_body(post, ui_text("fr"), LINKS, heading=2)
    found = assert_safe(html)
    assert text in "".join(found.text) or not text.strip()


def test_article_shows_media_alt_texts_and_what_is_not_kept() -> None:
    post = PostView(
        id="42",
        moment=MOMENT,
        text="Conseil municipal",
        lang="fr",
        media=[
            MediaView("photo", "Photo du port", "42-a.jpg"),
            MediaView("photo", "", "42-b.jpg"),
            MediaView("photo", "Graphique < 2024", ""),
            MediaView("video", "", ""),
        ],
    )
    html = pages.article_body(post, ui_text("fr"), LINKS, heading=2)
    found = assert_safe(html)
    images = [attrs for tag, attrs in found.tags if tag == "img"]
    assert [(i["src"], i["alt"]) for i in images] == [
        ("../media/42-a.jpg", "Photo du port"),
        ("../media/42-b.jpg", "Image sans description"),
    ]
    text = "".join(found.text)
    assert (
        "Cette image n'est pas conservée dans cette archive. Description : Graphique < 2024" in text
    )
    assert "Cette vidéo n'est pas conservée dans cette archive. Aucune description" in text


def test_quotes_link_to_the_archive_when_kept_there() -> None:
    ui = ui_text("en")
    kept = PostView(id="1", moment=MOMENT, text="", lang="", quoted_url="https://x.com/a/status/42")
    away = PostView(id="2", moment=MOMENT, text="", lang="", quoted_url="https://x.com/a/status/9")
    assert 'href="../status/42.html"' in pages.article_body(kept, ui, LINKS, heading=0)
    assert 'href="https://x.com/a/status/9"' in pages.article_body(away, ui, LINKS, heading=0)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("fr", "fr"),
        ("EN", "en"),
        ("zh-cn", "zh-CN"),
        ("in", "id"),
        ("iw", "he"),
        ("und", ""),
        ("qme", ""),
        ("zxx", ""),
        ("", ""),
        ('fr" onload="x', ""),
        ("x-klingon-long", ""),
    ],
)
def test_lang_attribute(code: str, expected: str) -> None:
    assert pages.lang_attribute(code) == expected


def test_every_page_has_the_csp_landmarks_and_skip_link() -> None:
    facts = pages.SiteFacts("Ville <A>", "ville", ui_text("fr"), "1 mars 2025", "Europe/Paris")
    page = pages.shell(facts, title="Titre", root="../", main="<h1>Titre</h1>")
    found = parse(page)
    tags = [tag for tag, _attrs in found.tags]
    for landmark in ("header", "nav", "main", "footer"):
        assert landmark in tags
    meta = [a for t, a in found.tags if t == "meta" and a.get("http-equiv")]
    assert meta[0]["content"] == pages.CSP and "script-src 'self'" in pages.CSP
    assert found.tags[tags.index("a")][1] == {"class": "skip", "href": "#main"}
    assert "Ville &lt;A&gt;" in page and "<A>" not in page
    assert found.tags[0] == ("html", {"lang": "fr"})


# --- colour contrast ----------------------------------------------------------------------------


def test_contrast_ratio_follows_wcag() -> None:
    assert contrast_ratio((0, 0, 0), WHITE) == pytest.approx(21)
    assert contrast_ratio(WHITE, WHITE) == pytest.approx(1)
    # WCAG's own example: #767676 on white is the lightest grey reaching 4.5:1
    assert contrast_ratio(parse_hex("#767676"), WHITE) == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("wanted", ["#ffcc00", "#00ff00", "#ffffff", "#7fb2e5", "#ff0000", "#abc"])
def test_a_light_colour_is_darkened_until_it_reads(wanted: str) -> None:
    checked = safe_colour(wanted)
    assert checked.adjusted
    used = parse_hex(checked.used)
    assert contrast_ratio(used, LIGHT_GREY) >= 4.5 and contrast_ratio(used, WHITE) >= 4.5


@pytest.mark.parametrize("wanted", ["#1f4f8f", "#000000", "#6a1b9a", "#005a31"])
def test_a_dark_enough_colour_is_kept(wanted: str) -> None:
    assert safe_colour(wanted).used == wanted and not safe_colour(wanted).adjusted


@pytest.mark.parametrize("wanted", ["", "red", "#12345", "#gggggg", "#1234567", "url(x)"])
def test_not_a_colour(wanted: str) -> None:
    with pytest.raises(ColourError):
        safe_colour(wanted)


def test_counted_phrases_follow_each_language() -> None:
    fr, en = ui_text("fr"), ui_text("en")
    assert [fr.count("posts", n) for n in (0, 1, 2, 10000)] == [
        "0 publication",
        "1 publication",
        "2 publications",
        "10\u202f000 publications",
    ]
    assert [en.count("posts", n) for n in (0, 1, 2, 10000)] == [
        "0 posts",
        "1 post",
        "2 posts",
        "10,000 posts",
    ]
    assert fr.month(2020, 3) == "Mars 2020" and en.date_time(MOMENT) == "12 March 2020, 13:03"
    assert fr.date(datetime(2020, 3, 1, tzinfo=UTC)) == "1er mars 2020"
    assert en.date(datetime(2020, 3, 1, tzinfo=UTC)) == "1 March 2020"
