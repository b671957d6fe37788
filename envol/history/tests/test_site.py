"""The archive site built from generated archives: every post, month and thread; media with
their descriptions; hostile text escaped; the search index; the Bluesky hook; the output folder."""

from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest
from django.conf import settings

from envol.history import services
from envol.history.site import MARKER
from envol.history.tests.conftest import SPEC, import_generated
from envol.orgs.models import Organisation
from envol.portability.models import ArchivedMedia, ArchivedPost, ArchiveImport
from envol.testing.x_archive_factory import ArchiveSpec, XArchiveFactory

pytestmark = pytest.mark.django_db
ARTICLE = re.compile(r'<article class="post[^"]*" id="p-([0-9]+)"')
HREF_OR_SRC = re.compile(r'\s(?:href|src)="([^"]*)"')
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


def build(archive_import: ArchiveImport, output: Path, **options: object) -> services.SiteResult:
    return services.build_site(archive_import, output, **options)  # type: ignore[arg-type]


def local_month(post_id: str) -> str:
    created = ArchivedPost.objects.get(remote_id=post_id).created_at
    local = created.astimezone(ZoneInfo(settings.TIME_ZONE))
    return f"{local.year}/{local.month:02d}.html"


def test_every_post_has_its_page_and_its_place_on_its_month(
    imported: ArchiveImport, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    result = build(imported, site)
    ids = set(ArchivedPost.objects.values_list("remote_id", flat=True))
    assert result.report.posts == len(ids) == SPEC.tweets
    assert {p.stem for p in (site / "status").glob("*.html")} == ids
    listed: Counter[str] = Counter()
    for month_page in site.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9].html"):
        for post_id in ARTICLE.findall(month_page.read_text(encoding="utf-8")):
            listed[post_id] += 1
            assert local_month(post_id) == f"{month_page.parent.name}/{month_page.name}"
    assert set(listed) == ids and set(listed.values()) == {1}
    index = (site / "index.html").read_text(encoding="utf-8")
    for month_page in site.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9].html"):
        assert f'href="{month_page.parent.name}/{month_page.name}"' in index
    marker = orjson.loads((site / MARKER).read_bytes())
    assert marker["posts"] == SPEC.tweets and marker["generator"] == "envol"


def test_self_threads_are_rebuilt_in_order_on_each_of_their_pages(
    imported: ArchiveImport, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    result = build(imported, site)
    tweets = XArchiveFactory(SPEC).expected().tweets
    ids = {t.id for t in tweets}
    parent = {t.id: t.reply_to_tweet_id for t in tweets if t.reply_to_tweet_id in ids}
    assert parent, "the generated archive has self-threads"

    def root_of(post_id: str) -> str:
        while post_id in parent:
            post_id = parent[post_id]
        return post_id

    threads: dict[str, list[str]] = {}
    for post_id in sorted(set(parent) | set(parent.values()), key=int):
        threads.setdefault(root_of(post_id), []).append(post_id)
    assert result.report.threads == len(threads)
    for members in threads.values():
        for member in members:
            page = (site / "status" / f"{member}.html").read_text(encoding="utf-8")
            shown = ARTICLE.findall(page)
            assert sorted(shown, key=int) == members  # every post of the thread, none else
            for child, its_parent in parent.items():
                if child in shown:
                    assert shown.index(its_parent) < shown.index(child)
            assert f'id="p-{member}" aria-current="true"' in page
    singles = ids - set(parent) - set(parent.values())
    some_single = sorted(singles)[0]
    page = (site / "status" / f"{some_single}.html").read_text(encoding="utf-8")
    assert ARTICLE.findall(page) == [some_single] and "thread-title" not in page


def test_kept_media_are_copied_with_their_alt_texts(
    imported: ArchiveImport, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    result = build(imported, site)
    tweets = XArchiveFactory(SPEC).expected().tweets
    kept = [(t, m) for t in tweets for m in t.media if m.in_archive]
    assert kept and result.report.media_copied == len(kept)
    for tweet, media in kept:
        assert (site / "media" / media.file_name).read_bytes().startswith(b"\xff\xd8")
        page = (site / "status" / f"{tweet.id}.html").read_text(encoding="utf-8")
        assert f'src="../media/{media.file_name}"' in page
        if media.alt_text and media.kind == "photo":
            assert f'alt="{html.escape(media.alt_text)}"' in page


def test_a_kept_media_file_gone_since_is_counted(imported: ArchiveImport, tmp_path: Path) -> None:
    stored = ArchivedMedia.objects.exclude(stored_path="").order_by("pk").first()
    assert stored is not None
    (Path(settings.MEDIA_ROOT) / stored.stored_path).unlink()
    result = build(imported, tmp_path / "site")
    assert result.report.media_missing == 1
    assert not (tmp_path / "site" / "media" / stored.file_name).exists()


def test_media_not_kept_show_their_description(org: Organisation, tmp_path: Path) -> None:
    archive_import = import_generated(org, tmp_path, keep_media=False)
    site = tmp_path / "site"
    result = build(archive_import, site)
    tweets = XArchiveFactory(SPEC).expected().tweets
    media = [(t, m) for t in tweets for m in t.media]
    assert result.report.media_copied == 0 and result.report.media_not_kept == len(media)
    assert not any((site / "media").iterdir())
    for tweet, item in media:
        page = html.unescape((site / "status" / f"{tweet.id}.html").read_text(encoding="utf-8"))
        assert "n'est pas conservée dans cette archive" in page
        if item.alt_text:
            assert f"Description : {item.alt_text}" in page


HOSTILE = (
    '<script>alert("x")</script><img src=x onerror=alert(1)>',
    'javascript:alert(1) et https://example.org/"><svg onload=alert(1)>',
    "</p></article></main><a href='data:text/html,x'>piège</a> & &amp; &lt;",
    "مرحبا https://x.com/ville_18/status/1300000000000000000 שלום",
)


def test_hostile_text_is_escaped_on_every_page(org: Organisation, tmp_path: Path) -> None:
    spec = ArchiveSpec(seed=18, tweets=12, texts=HOSTILE)
    archive_import = import_generated(org, tmp_path, spec)
    site = tmp_path / "site"
    build(archive_import, site)
    first_page = (site / "status" / "1300000000000000000.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in first_page
    for page in site.rglob("*.html"):
        content = page.read_text(encoding="utf-8")
        assert "<script>" not in content and "<svg" not in content and "<img src=x" not in content
        assert not EVENT_HANDLER.search(content), page
        assert " style=" not in content
        for target in HREF_OR_SRC.findall(content):
            assert not target.lower().startswith(("javascript:", "data:", "//")), (page, target)
            assert target.startswith(("https://", "http://", "#")) or "://" not in target
        scripts = re.findall(r"<script[^>]*>", content)
        assert scripts in ([], ['<script src="assets/search.js" defer>'])
    # the status link in the last text leads to the archived post's page, not to X
    fourth = (site / "status" / f"{XArchiveFactory.tweet_id(3)}.html").read_text(encoding="utf-8")
    assert 'href="../status/1300000000000000000.html"' in fourth


def test_the_search_index_holds_every_post_once_per_year(
    imported: ArchiveImport, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    build(imported, site)
    seen: dict[str, str] = {}
    for shard in (site / "search").glob("*.js"):
        content = shard.read_text(encoding="utf-8")
        prefix = f"envolSearch.receive({shard.stem},"
        assert content.startswith(prefix) and content.endswith(");\n")
        for post_id, shown, _lang, text in orjson.loads(content[len(prefix) : -3]):
            assert post_id not in seen
            seen[post_id] = text
            assert shown.endswith(tuple(f"{h:02d}" for h in range(60)))
    texts = dict(ArchivedPost.objects.values_list("remote_id", "text"))
    assert seen == texts
    search = (site / "search.html").read_text(encoding="utf-8")
    years = sorted({p.stem for p in (site / "search").glob("*.js")}, reverse=True)
    assert f'data-years="{",".join(years)}"' in search


def test_a_quote_of_an_archived_post_links_to_its_page(
    imported: ArchiveImport, tmp_path: Path
) -> None:
    quoted, quoting = ArchivedPost.objects.order_by("remote_id")[:2]
    quoting.quoted_post_url = f"https://twitter.com/ville/status/{quoted.remote_id}"
    quoting.save()
    site = tmp_path / "site"
    build(imported, site)
    page = (site / "status" / f"{quoting.remote_id}.html").read_text(encoding="utf-8")
    assert (
        f'<p class="post-quote"><a href="../status/{quoted.remote_id}.html">'
        "Publication citée, conservée dans cette archive</a></p>"
    ) in page


def test_the_bluesky_hook_links_migrated_posts(imported: ArchiveImport, tmp_path: Path) -> None:
    first = ArchivedPost.objects.order_by("remote_id").first()
    assert first is not None
    uri = "at://did:plc:abc123/app.bsky.feed.post/3kabc"
    site = tmp_path / "site"
    build(imported, site, bluesky_uri_for={first.remote_id: uri}.get)
    page = (site / "status" / f"{first.remote_id}.html").read_text(encoding="utf-8")
    assert 'href="https://bsky.app/profile/did:plc:abc123/post/3kabc"' in page
    # a URI that is not a post's is ignored rather than linked
    build(imported, site, bluesky_uri_for=lambda _id: "javascript:alert(1)")
    assert "bsky.app" not in (site / "status" / f"{first.remote_id}.html").read_text()


def test_english_site_and_colour_adjustment(imported: ArchiveImport, tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = build(imported, site, lang="en", colour="#ffcc00")
    assert result.colour.adjusted and result.colour.used != "#ffcc00"
    index = (site / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in index and "Posts by year" in index
    css = (site / "assets" / "site.css").read_text(encoding="utf-8")
    assert f"--org: {result.colour.used};" in css and "#ffcc00" not in css


def test_the_output_folder_is_never_someone_elses(imported: ArchiveImport, tmp_path: Path) -> None:
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "thesis.odt").write_bytes(b"precious")
    with pytest.raises(services.HistoryError, match="aucun site d'archive construit par envol"):
        build(imported, foreign)
    assert (foreign / "thesis.odt").read_bytes() == b"precious"
    site = tmp_path / "site"
    build(imported, site)
    (site / "status" / "stale.html").write_text("old")
    build(imported, site)  # a rebuild replaces the previous build whole
    assert not (site / "status" / "stale.html").exists()


def test_mistakes_are_reported_not_raised(imported: ArchiveImport, tmp_path: Path) -> None:
    for options in ({"lang": "de"}, {"colour": "rouge"}, {"base_url": "/a b/"}):
        with pytest.raises(services.HistoryError):
            build(imported, tmp_path / "site", **options)
    imported.state = ArchiveImport.State.FAILED
    imported.save()
    with pytest.raises(services.HistoryError, match="n'est pas terminé"):
        build(imported, tmp_path / "site")
