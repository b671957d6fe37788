"""The redirect maps, parsed as each server reads them: every archived post's old X addresses
lead to a page that exists in the site, or to the post on Bluesky when the hook gives one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from envol.history import redirects, services
from envol.portability.models import ArchivedPost, ArchiveImport

pytestmark = pytest.mark.django_db
BASE = "/archive/"
USERNAME = "ville_18"


def nginx_targets(site: Path) -> tuple[re.Pattern[str], dict[str, str]]:
    """The status regex of the first map and the id → target entries of the second."""
    text = (site / redirects.NGINX_HTTP).read_text(encoding="utf-8")
    first, second = re.findall(r"map \$\S+ \$(\S+) \{\n(.*?)\n\}", text, re.DOTALL)
    assert first[0] == "envol_x_status" and second[0] == "envol_x_target"
    pattern = re.search(r'"~(.+)" \$envol_x_id;', first[1])
    assert pattern is not None
    entries: dict[str, str] = {}
    for line in second[1].splitlines():
        key, value = line.strip().rstrip(";").split(" ", 1)
        if key != "default":
            assert key not in entries
            entries[key] = value
    size = int(re.search(r"map_hash_max_size (\d+);", text).group(1))  # type: ignore[union-attr]
    assert size >= len(entries)
    server = (site / redirects.NGINX_SERVER).read_text(encoding="utf-8")
    assert "return 301 $envol_x_target;" in server
    # nginx names groups (?<name>…); Python writes (?P<name>…)
    return re.compile(pattern.group(1).replace("(?<", "(?P<")), entries


def nginx_resolve(site: Path, path: str) -> str | None:
    pattern, entries = nginx_targets(site)
    match = pattern.match(path)
    return entries.get(match.group("envol_x_id")) if match else None


def apache_resolve(site: Path, path: str) -> str | None:
    conf = (site / redirects.APACHE_CONF).read_text(encoding="utf-8")
    map_file = re.search(r'RewriteMap envol_x_status "txt:(.+)"', conf).group(1)  # type: ignore[union-attr]
    assert Path(map_file) == (site / redirects.APACHE_MAP).resolve()
    condition = re.search(r'RewriteCond "%\{REQUEST_URI\}" "(.+)"', conf).group(1)  # type: ignore[union-attr]
    assert 'RewriteRule "^" "%1" [R=301,L]' in conf
    entries = {}
    for line in Path(map_file).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            key, value = line.split(" ")
            entries[key] = value
    match = re.match(condition, path)
    return entries.get(match.group(1)) if match else None


def netlify_resolve(site: Path, path: str) -> str | None:
    """Netlify and Cloudflare Pages: the first rule whose path matches, `:name` a segment."""
    for line in (site / redirects.NETLIFY).read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        source, target, status = line.split()
        assert status == "301"
        pattern = "^" + re.sub(r":(\w+)", r"(?P<\1>[^/]+)", re.escape(source).replace(r"\:", ":"))
        match = re.match(pattern + "/?$", path)
        if match:
            for name, value in match.groupdict().items():
                target = target.replace(f":{name}", value)
            return target
    return None


RESOLVERS = {"nginx": nginx_resolve, "apache": apache_resolve, "_redirects": netlify_resolve}


def page_of(site: Path, target: str | None) -> Path:
    assert target is not None and target.startswith(BASE), target
    return site / target[len(BASE) :]


@pytest.mark.parametrize("server", sorted(RESOLVERS))
def test_every_post_id_maps_to_its_existing_page(
    imported: ArchiveImport, tmp_path: Path, server: str
) -> None:
    site = tmp_path / "site"
    services.build_site(imported, site, base_url=BASE)
    resolve = RESOLVERS[server]
    ids = list(ArchivedPost.objects.values_list("remote_id", flat=True))
    assert ids
    for post_id in ids:
        for path in (
            f"/{USERNAME}/status/{post_id}",
            f"/i/web/status/{post_id}",
            f"/VILLE_18/statuses/{post_id}/",
        ):
            target = resolve(site, path)
            page = page_of(site, target)
            assert page.is_file() and f'id="p-{post_id}"' in page.read_text(encoding="utf-8")
    assert resolve(site, "/ville_18/likes") is None
    assert resolve(site, f"/ville_18/status/{ids[0]}/photo/1") is None


@pytest.mark.parametrize("server", sorted(RESOLVERS))
def test_migrated_posts_go_to_bluesky(imported: ArchiveImport, tmp_path: Path, server: str) -> None:
    first, second = ArchivedPost.objects.order_by("remote_id").values_list("remote_id", flat=True)[
        :2
    ]
    site = tmp_path / "site"
    uri = {first: "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3k44dewr6hk2x"}
    services.build_site(imported, site, base_url=BASE, bluesky_uri_for=uri.get)
    resolve = RESOLVERS[server]
    expected = "https://bsky.app/profile/did:plc:ewvi7nxzyoun6zhxrhs64oiz/post/3k44dewr6hk2x"
    assert resolve(site, f"/{USERNAME}/status/{first}") == expected
    assert resolve(site, f"/i/web/status/{first}") == expected
    assert page_of(site, resolve(site, f"/{USERNAME}/status/{second}")).is_file()


@pytest.mark.parametrize(
    "base_url", ["/", "/archive/", "/archive", "https://archives.ville.fr/x/", "http://h:8080/"]
)
def test_base_urls_that_fit_in_every_file(base_url: str) -> None:
    assert redirects.check_base_url(base_url).endswith("/")


@pytest.mark.parametrize(
    "base_url",
    ["archive/", "/a b/", '/a"b/', "/a;b/", "javascript:alert(1)//", "/a/../b/", "ftp://h/"],
)
def test_base_urls_that_could_break_a_file_are_refused(base_url: str) -> None:
    with pytest.raises(redirects.RedirectError):
        redirects.check_base_url(base_url)


@pytest.mark.parametrize(
    ("uri", "url"),
    [
        (
            "at://did:plc:abc/app.bsky.feed.post/3k2",
            "https://bsky.app/profile/did:plc:abc/post/3k2",
        ),
        (
            "at://did:web:ville.fr/app.bsky.feed.post/x",
            "https://bsky.app/profile/did:web:ville.fr/post/x",
        ),
        ("at://did:plc:abc/app.bsky.feed.like/3k2", ""),
        ("at://did:plc:abc/app.bsky.feed.post/3k2 return 200;", ""),
        ("https://bsky.app/profile/x/post/y", ""),
    ],
)
def test_bluesky_web_url(uri: str, url: str) -> None:
    assert redirects.bluesky_web_url(uri) == url
