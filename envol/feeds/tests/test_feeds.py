"""Feed reading against the local feed server (envol/testing/feeds.py): RSS 2.0 and Atom, item
keys, conditional requests, errors, a huge body, a slow one, and a redirect to a private address
refused by the guard."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpcore
import pytest

from envol.feeds.fetch import FetchLimits, SourceClient
from envol.feeds.html import html_to_text
from envol.feeds.items import SourceError, hashtags, item_key
from envol.feeds.rss import parse_feed, poll_feed
from envol.networks.ssrf import GuardedTransport
from envol.testing.feeds import FeedServer

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PUBLIC = "93.184.216.34"


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer.start() as running:
        running.create_feed("news", "Actualités de la ville")
        yield running


@pytest.fixture
def client() -> Iterator[SourceClient]:
    made = SourceClient(GuardedTransport(allow_private=True), FetchLimits(timeout_s=2.0))
    yield made
    made.close()


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_items_with_keys_dates_tags_images(
    server: FeedServer, client: SourceClient, kind: str
) -> None:
    server.add_item(
        "news",
        "Fête de la musique & concerts",
        published=T0,
        summary="<p>Rendez-vous <b>place&nbsp;Carnot</b>.</p><p>Entrée libre.</p>",
        categories=("Culture", "#Musique"),
        image=server.image_url("affiche"),
        image_alt="Affiche bleue de la fête" if kind == "rss" else "",
    )
    server.add_item("news", "Travaux rue Haute", published=T0 + timedelta(hours=1))
    polled = poll_feed(client, server.feed_url("news", kind), {})
    first, second = polled.items  # oldest first
    assert (first.key, second.key) == ("urn:news:1", "urn:news:2")
    assert first.title == "Fête de la musique & concerts"
    assert first.text == "Rendez-vous place Carnot.\n\nEntrée libre."
    assert first.published_at == T0 and first.link == "https://www.example.org/news/1"
    assert first.tags == ("culture", "musique") and first.lang.startswith("fr")
    assert [i.url for i in first.images] == [server.image_url("affiche")]
    assert first.images[0].alt == ("Affiche bleue de la fête" if kind == "rss" else "")
    assert first.card_title == first.title and first.card_description.startswith("Rendez-vous")
    assert polled.state["etag"] and polled.state["last_modified"]


def test_conditional_requests_answer_304_without_parsing(
    server: FeedServer, client: SourceClient
) -> None:
    server.add_item("news", "Un", published=T0)
    url = server.feed_url("news")
    first = poll_feed(client, url, {})
    again = poll_feed(client, url, first.state)
    assert not again.changed and again.items == [] and again.state == first.state
    by_date = poll_feed(client, url, {"last_modified": first.state["last_modified"]})
    assert not by_date.changed
    server.add_item("news", "Deux", published=T0 + timedelta(minutes=5))
    changed = poll_feed(client, url, first.state)
    assert changed.changed and [i.title for i in changed.items] == ["Un", "Deux"]
    assert server.counts["304"] == 2


def test_keys_fall_back_to_link_then_title_and_date() -> None:
    assert item_key("", "https://x.org/a", fallback=("t", "d")) == "https://x.org/a"
    hashed = item_key("", "", fallback=("Titre", "2026-01-01"))
    assert hashed.startswith("sha256:") and hashed == item_key(
        " ", fallback=("Titre", "2026-01-01")
    )
    assert item_key("x" * 500).startswith("sha256:")
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
      <item><title>Sans guid</title><link>https://x.org/b</link></item>
      <item><title>Ni guid ni lien</title><pubDate>Mon, 02 Mar 2026 09:00:00 GMT</pubDate></item>
      </channel></rss>"""
    keys = {item.title: item.key for item in parse_feed(body)}
    assert keys["Sans guid"] == "https://x.org/b"
    assert keys["Ni guid ni lien"] == item_key(
        fallback=("Ni guid ni lien", "2026-03-02T09:00:00+00:00")
    )


def test_an_edited_item_keeps_its_key(server: FeedServer, client: SourceClient) -> None:
    item = server.add_item("news", "Version 1", published=T0)
    before = poll_feed(client, server.feed_url("news"), {})
    server.edit_item("news", item.guid, title="Version 2", published=T0 + timedelta(days=1))
    after = poll_feed(client, server.feed_url("news"), before.state)
    assert after.changed and [i.key for i in after.items] == [i.key for i in before.items]


def test_errors_are_source_errors(server: FeedServer, client: SourceClient) -> None:
    with pytest.raises(SourceError) as failed:
        poll_feed(client, f"{server.url}/status/500", {})
    assert failed.value.code == "http_status"
    with pytest.raises(SourceError) as missing:
        poll_feed(client, server.feed_url("nope"), {})
    assert missing.value.code == "http_status"
    with pytest.raises(SourceError) as garbage:
        parse_feed(b"\x00\x01 not a feed at all")
    assert garbage.value.code == "unreadable"


def test_a_huge_body_is_cut_while_reading(server: FeedServer) -> None:
    capped = SourceClient(GuardedTransport(allow_private=True), FetchLimits(max_bytes=1_000_000))
    with pytest.raises(SourceError) as failed:
        poll_feed(capped, f"{server.url}/huge", {})
    assert failed.value.code == "too_large"
    capped.close()


def test_a_slow_body_times_out(server: FeedServer) -> None:
    server.slow_seconds = 3.0
    impatient = SourceClient(GuardedTransport(allow_private=True), FetchLimits(timeout_s=0.3))
    with pytest.raises(SourceError) as failed:
        poll_feed(impatient, f"{server.url}/slow", {})
    assert failed.value.code == "timeout"
    impatient.close()


class ToLoopback(httpcore.NetworkBackend):
    """Below the guard: a connection to the (checked) public test address reaches the local
    feed server; any other address is recorded and refused, as an unreachable host would be."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.addresses: list[str] = []
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        self.addresses.append(host)
        if host != PUBLIC:
            raise httpcore.ConnectError(f"unexpected connection to {host}")
        return self._inner.connect_tcp("127.0.0.1", self.port, *args, **kwargs)


def resolver(table: dict[str, list[str]]) -> Any:
    def resolve(host: str, port: int) -> Sequence[str]:
        return table.get(host, [])

    return resolve


def test_a_redirect_to_a_private_address_is_refused_with_the_guard_on(
    server: FeedServer,
) -> None:
    server.add_item("news", "Un", published=T0)
    port = int(server.url.rsplit(":", 1)[1])
    network = ToLoopback(port)
    guarded = GuardedTransport(
        allow_private=False,
        resolver=resolver({"news.example.org": [PUBLIC], "intranet.example.org": ["10.0.0.7"]}),
        network=network,
    )
    strict = SourceClient(guarded)
    assert poll_feed(strict, "http://news.example.org/rss/news.xml", {}).items  # allowed
    for target in ("http://intranet.example.org/rss/news.xml", "http://127.0.0.1/rss/news.xml"):
        with pytest.raises(SourceError) as refused:
            poll_feed(strict, f"http://news.example.org/redirect?to={target}", {})
        assert refused.value.code == "refused"
    assert set(network.addresses) == {PUBLIC}  # never a connection to the private addresses
    strict.close()


def test_html_to_text_and_hashtags() -> None:
    mastodon = (
        '<p>Bonjour <a href="https://m.test/tags/Ville" class="mention hashtag">#<span>Ville'
        '</span></a><br>voir <a href="https://example.org/un/long/chemin"><span class="invisible">'
        'https://</span><span class="ellipsis">example.org/un/long</span><span class="invisible">'
        "/chemin</span></a></p><p>Fin &amp; suite</p><script>alert(1)</script>"
    )
    text = html_to_text(mastodon)
    assert text == "Bonjour #Ville\nvoir https://example.org/un/long/chemin\n\nFin & suite"
    assert hashtags(text) == ("ville",)
    assert hashtags("a#b #Été, #été https://x.org/#frag") == ("été",)
