"""A local feed server for tests, benches and the demo: RSS 2.0 and Atom on 127.0.0.1, with
the behaviours relays must survive.

- `/rss/<name>.xml`, `/atom/<name>.xml`: a feed's items (newest first, as sites write them),
  with an `ETag` and a `Last-Modified`; `If-None-Match` or `If-Modified-Since` that still hold
  get a 304 with no body (RFC 9110 §13.1.2, §13.1.3).
- `/status/<code>`: that status (a 500…); `/huge`: an endless body without a length (a cap
  must stop reading it); `/slow`: headers, then nothing for a while; `/redirect?to=URL`: a 302.
- `/images/<name>.png`: a small PNG (images relayed with their alt text).
- `POST /_add/<name>`: a new article dated now, for a server in another process.

Feeds are changed while the server runs (`add_item`, `edit_item`), as a website publishes.
`python -m envol.testing.feeds --port N --feeds 200 --items 50` serves generated feeds from a
process of its own (the bench keeps the server's CPU out of the worker's).
"""

from __future__ import annotations

import argparse
import email.utils
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

HUGE_CHUNK = b"<!-- " + b"x" * 65_000 + b" -->\n"


@dataclass(frozen=True)
class FeedItem:
    guid: str
    title: str
    link: str
    published: datetime
    summary: str = ""
    categories: tuple[str, ...] = ()
    image: str = ""  # an image URL (an enclosure in RSS, a media:content in Atom)
    image_alt: str = ""  # media:description, when the site gives one
    guid_is_permalink: bool = False


@dataclass
class Feed:
    name: str
    title: str
    language: str = "fr"
    items: list[FeedItem] = field(default_factory=list)
    version: int = 0
    modified: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    _cache: dict[str, tuple[int, bytes]] = field(default_factory=dict)

    @property
    def etag(self) -> str:
        return f'"{self.name}-{self.version}"'

    def document(self, kind: str) -> bytes:
        cached = self._cache.get(kind)
        if cached is None or cached[0] != self.version:
            body = rss(self) if kind == "rss" else atom(self)
            cached = self._cache[kind] = (self.version, body)
        return cached[1]


def rss(feed: Feed) -> bytes:
    entries = []
    for item in sorted(feed.items, key=lambda i: i.published, reverse=True):
        parts = [
            f"<title>{escape(item.title)}</title>",
            f"<link>{escape(item.link)}</link>",
            f"<guid isPermaLink={quoteattr(str(item.guid_is_permalink).lower())}>"
            f"{escape(item.guid)}</guid>",
            f"<pubDate>{email.utils.format_datetime(item.published, usegmt=True)}</pubDate>",
            f"<description>{escape(item.summary)}</description>",
            *(f"<category>{escape(c)}</category>" for c in item.categories),
        ]
        if item.image and item.image_alt:
            parts.append(
                f'<media:content url={quoteattr(item.image)} medium="image" type="image/png">'
                f"<media:description>{escape(item.image_alt)}</media:description></media:content>"
            )
        elif item.image:
            parts.append(f'<enclosure url={quoteattr(item.image)} type="image/png" length="1"/>')
        entries.append("<item>" + "".join(parts) + "</item>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:media="http://search.yahoo.com/mrss/"><channel>'
        f"<title>{escape(feed.title)}</title><link>https://www.example.org/</link>"
        f"<description>{escape(feed.title)}</description><language>{feed.language}</language>"
        + "".join(entries)
        + "</channel></rss>"
    ).encode()


def atom(feed: Feed) -> bytes:
    entries = []
    for item in sorted(feed.items, key=lambda i: i.published, reverse=True):
        stamp = item.published.isoformat().replace("+00:00", "Z")
        parts = [
            f"<id>{escape(item.guid)}</id>",
            f"<title>{escape(item.title)}</title>",
            f'<link rel="alternate" href={quoteattr(item.link)}/>',
            f"<updated>{stamp}</updated><published>{stamp}</published>",
            f'<summary type="html">{escape(item.summary)}</summary>',
            *(f"<category term={quoteattr(c)}/>" for c in item.categories),
        ]
        if item.image:
            parts.append(f'<link rel="enclosure" type="image/png" href={quoteattr(item.image)}/>')
        entries.append("<entry>" + "".join(parts) + "</entry>")
    updated = feed.modified.isoformat().replace("+00:00", "Z")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        f'xml:lang="{feed.language}"><title>{escape(feed.title)}</title>'
        f"<id>urn:envol:test:{escape(feed.name)}</id><updated>{updated}</updated>"
        + "".join(entries)
        + "</feed>"
    ).encode()


def png(width: int = 4, height: int = 3) -> bytes:
    """A valid tiny PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x1d\x6f\x42" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class FeedServer:
    """The server and its feeds; thread-safe changes; counts what it answered."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.feeds: dict[str, Feed] = {}
        self.lock = threading.Lock()
        self.counts: dict[str, int] = {"200": 0, "304": 0, "other": 0}
        self.slow_seconds = 5.0
        self._httpd = ThreadingHTTPServer((host, port), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @classmethod
    def start(cls, host: str = "127.0.0.1", port: int = 0) -> FeedServer:
        server = cls(host, port)
        server._thread.start()
        return server

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FeedServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def feed_url(self, name: str, kind: str = "rss") -> str:
        return f"{self.url}/{kind}/{name}.xml"

    def image_url(self, name: str) -> str:
        return f"{self.url}/images/{name}.png"

    # changing feeds, as a website does

    def create_feed(self, name: str, title: str = "", language: str = "fr") -> Feed:
        with self.lock:
            feed = self.feeds[name] = Feed(name, title or f"Actualités {name}", language)
            return feed

    def add_item(self, feed: str, title: str, *, published: datetime, **fields: Any) -> FeedItem:
        """A new article: its guid and link default from its rank in the feed."""
        with self.lock:
            target = self.feeds[feed]
            number = len(target.items) + 1
            item = FeedItem(
                guid=fields.pop("guid", f"urn:{feed}:{number}"),
                title=title,
                link=fields.pop("link", f"https://www.example.org/{feed}/{number}"),
                published=published,
                **fields,
            )
            target.items.append(item)
            self._touch(target, published)
            return item

    def edit_item(self, feed: str, guid: str, **changes: Any) -> None:
        """The site edits an article (title, summary, even its date): same guid."""
        with self.lock:
            target = self.feeds[feed]
            target.items = [replace(i, **changes) if i.guid == guid else i for i in target.items]
            self._touch(target, target.modified + timedelta(seconds=1))

    def _touch(self, feed: Feed, moment: datetime) -> None:
        feed.version += 1
        feed.modified = max(feed.modified + timedelta(seconds=1), moment)


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return None

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            path, query = parts.path, parse_qs(parts.query)
            if path.startswith(("/rss/", "/atom/")) and path.endswith(".xml"):
                kind, name = path[1:].split("/", 1)
                self._feed(kind, name.removesuffix(".xml"))
            elif path.startswith("/status/"):
                self._send(int(path.removeprefix("/status/")), b"error", "text/plain")
            elif path == "/redirect":
                self._send(302, b"", "text/plain", {"Location": query.get("to", ["/"])[0]})
            elif path == "/huge":
                self._huge()
            elif path == "/slow":
                self._slow()
            elif path.startswith("/images/"):
                self._send(200, png(), "image/png")
            else:
                self._send(404, b"not found", "text/plain")

        def do_POST(self) -> None:
            """`/_add/<name>`: a new article dated now (a bench's server runs in its own
            process); answers its guid."""
            path = urlsplit(self.path).path
            if not path.startswith("/_add/") or path.removeprefix("/_add/") not in server.feeds:
                self._send(404, b"no such feed", "text/plain")
                return
            name = path.removeprefix("/_add/")
            item = server.add_item(name, f"Nouvel article de {name}", published=datetime.now(UTC))
            self._send(201, item.guid.encode(), "text/plain")

        def _feed(self, kind: str, name: str) -> None:
            with server.lock:
                feed = server.feeds.get(name)
                if feed is None:
                    body = b""
                else:
                    body = feed.document(kind)
                    etag, modified = feed.etag, feed.modified
            if feed is None:
                self._send(404, b"no such feed", "text/plain")
                return
            last_modified = email.utils.format_datetime(modified, usegmt=True)
            validators = {"ETag": etag, "Last-Modified": last_modified}
            if _still_fresh(self.headers, etag, modified):
                self._send(304, b"", "", validators)
                return
            content_type = "application/rss+xml" if kind == "rss" else "application/atom+xml"
            self._send(200, body, f"{content_type}; charset=utf-8", validators)

        def _huge(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
            try:
                for _ in range(2000):  # about 130 MB, unless the client stops reading first
                    self.wfile.write(HUGE_CHUNK)
            except (BrokenPipeError, ConnectionResetError):
                return
            self.close_connection = True

        def _slow(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                self.wfile.write(b"<")
                self.wfile.flush()
                time.sleep(server.slow_seconds)
            except (BrokenPipeError, ConnectionResetError):
                return
            self.close_connection = True

        def _send(
            self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
        ) -> None:
            key = str(status) if status in (200, 304) else "other"
            with server.lock:
                server.counts[key] += 1
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

    return Handler


def _still_fresh(headers: Any, etag: str, modified: datetime) -> bool:
    """RFC 9110 §13.1.2: If-None-Match decides when present; else If-Modified-Since."""
    wanted = headers.get("If-None-Match")
    if wanted:
        return etag in [tag.strip() for tag in wanted.split(",")] or wanted.strip() == "*"
    since = headers.get("If-Modified-Since")
    if since:
        try:
            return modified.replace(microsecond=0) <= email.utils.parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def generated(server: FeedServer, feeds: int, items: int, start: datetime) -> None:
    """`feeds` feeds named f0, f1… of `items` articles each, dated before `start`."""
    for number in range(feeds):
        name = f"f{number}"
        server.create_feed(name)
        for rank in range(items):
            server.add_item(
                name,
                f"Article {rank} du flux {number} : la ville ouvre un nouveau service",
                published=start - timedelta(minutes=items - rank),
                summary=f"<p>Le service {rank} ouvre ses portes.</p>",
                categories=("ville",),
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--feeds", type=int, default=0)
    parser.add_argument("--items", type=int, default=50)
    args = parser.parse_args()
    server = FeedServer.start(port=args.port)
    generated(server, args.feeds, args.items, datetime(2026, 1, 1, tzinfo=UTC))
    print(server.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
