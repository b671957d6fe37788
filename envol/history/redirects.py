"""Redirect maps that keep old X links working on a domain the organisation controls.

A link to `https://x.com/<username>/status/<id>` (or `/i/web/status/<id>`, or the old
`/statuses/`) becomes, on the organisation's domain, the same path: these files send it on to the
post's page in the archive, or to the post on Bluesky once it was migrated there. Three formats,
written line by line during the build (100,000 posts are 100,000 lines, never held in memory):

- `_redirects` (Netlify, Cloudflare Pages): the migrated posts one by one, then two placeholder
  rules for every other post (first match wins on both hosts; Cloudflare caps one-by-one rules at
  2,000, placeholders cover any number of posts).
- `redirects/nginx-http.conf` (in `http {}`) and `redirects/nginx-server.conf` (in `server {}`):
  a `map` from the status id to its target, and one `return 301`.
- `redirects/apache.conf` (in the virtual host; RewriteMap is not allowed in .htaccess) and its
  `redirects/apache-map.txt` text map.

Every target is either `<base>status/<id>.html` (base checked by `check_base_url`) or a Bluesky
URL built from checked parts, so nothing in these files can break out of its line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import IO, Final

from envol.history.pages import post_path

STATUS_PATH_REGEX: Final = r"^/(?:[A-Za-z0-9_]{1,15}|i/web)/status(?:es)?/([0-9]{1,20})/?$"
_BASE_URL = re.compile(r"^(https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?)?/([A-Za-z0-9._~-]+/)*$")
_AT_URI = re.compile(
    r"^at://(did:[a-z]+:[A-Za-z0-9._:%-]+)/app\.bsky\.feed\.post/([A-Za-z0-9._:~-]{1,512})$"
)
NETLIFY: Final = "_redirects"
NGINX_HTTP: Final = "redirects/nginx-http.conf"
NGINX_SERVER: Final = "redirects/nginx-server.conf"
APACHE_CONF: Final = "redirects/apache.conf"
APACHE_MAP: Final = "redirects/apache-map.txt"


class RedirectError(ValueError):
    """A base address the redirect files cannot carry safely."""


def check_base_url(base_url: str) -> str:
    """The address the archive is served at: `/`, `/archive/` or `https://host/path/`."""
    if not base_url.endswith("/"):
        base_url += "/"
    if not _BASE_URL.match(base_url) or {".", ".."} & set(base_url.split("/")):
        raise RedirectError(base_url)
    return base_url


def bluesky_web_url(uri: str) -> str:
    """`at://did/app.bsky.feed.post/rkey` → its bsky.app address; empty when not such a URI."""
    match = _AT_URI.match(uri.strip())
    if match is None:
        return ""
    return f"https://bsky.app/profile/{match.group(1)}/post/{match.group(2)}"


class RedirectWriter:
    """Opened before the pages are written, fed one post at a time, closed at the end."""

    def __init__(self, output: Path, base_url: str, username: str, expected: int) -> None:
        self.base_url = check_base_url(base_url)
        self.username = username if re.fullmatch(r"[A-Za-z0-9_]{1,15}", username) else ""
        (output / "redirects").mkdir(parents=True, exist_ok=True)
        self.output = output
        self._netlify = (output / NETLIFY).open("w", encoding="utf-8", buffering=1 << 16)
        self._nginx = (output / NGINX_HTTP).open("w", encoding="utf-8", buffering=1 << 16)
        self._apache_map = (output / APACHE_MAP).open("w", encoding="utf-8", buffering=1 << 16)
        self._open: list[IO[str]] = [self._netlify, self._nginx, self._apache_map]
        self._netlify.write("# envol: old X links → this archive (Netlify, Cloudflare Pages)\n")
        # the map's hash must hold every id: nginx refuses to start with a too small one
        size = max(1024, 1 << max(0, expected * 2 - 1).bit_length())
        self._nginx.write(
            "# envol: include in the http {} block; include nginx-server.conf in the server.\n"
            f"map_hash_max_size {size};\nmap_hash_bucket_size 128;\n"
            'map $uri $envol_x_status {\n    default "";\n'
            f'    "~{STATUS_PATH_REGEX.replace("([0-9]", "(?<envol_x_id>[0-9]")}" '
            "$envol_x_id;\n}\n"
            'map $envol_x_status $envol_x_target {\n    default "";\n'
        )
        self._apache_map.write("# envol: X status id → address (RewriteMap txt)\n")

    def archive_target(self, post_id: str) -> str:
        return f"{self.base_url}{post_path(post_id)}"

    def add(self, post_id: str, bluesky_url: str = "") -> None:
        """One archived post (id already checked as digits); to Bluesky when migrated there."""
        target = bluesky_url or self.archive_target(post_id)
        if bluesky_url:
            if self.username:
                self._netlify.write(f"/{self.username}/status/{post_id} {target} 301\n")
            self._netlify.write(f"/i/web/status/{post_id} {target} 301\n")
        self._nginx.write(f"    {post_id} {target};\n")
        self._apache_map.write(f"{post_id} {target}\n")

    def close(self) -> None:
        pattern = f"{self.base_url}status/:id.html"
        self._netlify.write(
            f"/:user/status/:id {pattern} 301\n/:user/statuses/:id {pattern} 301\n"
            f"/i/web/status/:id {pattern} 301\n"
        )
        self._nginx.write("}\n")
        for stream in self._open:
            stream.close()
        (self.output / NGINX_SERVER).write_text(
            "# envol: include in the server {} block (after nginx-http.conf in http {}).\n"
            "if ($envol_x_target) {\n    return 301 $envol_x_target;\n}\n",
            encoding="utf-8",
        )
        map_path = (self.output / APACHE_MAP).resolve()
        (self.output / APACHE_CONF).write_text(
            "# envol: include in the <VirtualHost> (RewriteMap is not allowed in .htaccess).\n"
            "# The map's path is where the site was built: change it if you move the files.\n"
            "RewriteEngine On\n"
            f'RewriteMap envol_x_status "txt:{map_path}"\n'
            f'RewriteCond "%{{REQUEST_URI}}" "{STATUS_PATH_REGEX}"\n'
            'RewriteCond "${envol_x_status:%1}" "^(.+)$"\n'
            'RewriteRule "^" "%1" [R=301,L]\n',
            encoding="utf-8",
        )

    def abort(self) -> None:
        for stream in self._open:
            stream.close()
