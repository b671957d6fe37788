"""Two envol instances on loopback, each with its own database and keys: the first publishes its
public-dataset links, the second subscribes from the command line. A revoked consent disappears
from the second after its next pull; a feed altered on the way is refused, nothing applied."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.test import override_settings

from envol.crosswalk.models import ConsentLevel
from envol.people import services
from envol.people.tests.helpers import archive_for, did_for, person
from envol.sharing.services import FEED_PATH

pytestmark = pytest.mark.django_db(transaction=True)


class Instance:
    """The second instance: its own data folder, database and keys; driven by `envol …`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.env = {k: v for k, v in os.environ.items() if k != "ENVOL_DATABASE_URL"}
        self.env |= {
            "ENVOL_DATA_DIR": str(folder),
            "ENVOL_ALLOW_PRIVATE_NETWORKS": "true",
            "ENVOL_LANGUAGE": "en",
        }
        self.run("manage", "migrate", "-v", "0")

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "envol", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if ok:
            assert done.returncode == 0, done.stdout + done.stderr
        return done

    def links(self, source: str) -> set[tuple[str, str, str, float]]:
        with sqlite3.connect(self.folder / "envol.sqlite3") as db:
            own = db.execute(
                "SELECT x_id, network, remote_id, confidence FROM crosswalk_identitylink "
                "WHERE source = ?",
                (source,),
            ).fetchall()
        return {(str(x), n, r, c) for x, n, r, c in own}


@pytest.fixture
def publisher(live_server: Any) -> Iterator[str]:
    with override_settings(PUBLIC_URL=live_server.url, ENVOL_SIGNUP="open"):
        yield live_server.url


@pytest.fixture
def tampering(publisher: str) -> Iterator[str]:
    """A proxy that changes one DID in whatever the publisher's feed says."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answer = httpx.get(publisher + self.path)
            body = answer.content.replace(b"did:plc:", b"did:plc:z", 1)[: len(answer.content)]
            self.send_response(answer.status_code)
            for name in ("Envol-Signature", "ETag", "Content-Type"):
                if name in answer.headers:
                    self.send_header(name, answer.headers[name])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_feed_shared_revoked_and_tampered(publisher: str, tampering: str, tmp_path: Path) -> None:
    # On the first instance, two people: one shares publicly, one with their followers only.
    _u1, open_space, open_account = person("ouverte.test", did_for(1))
    _u2, shy_space, shy_account = person("discrete.test", did_for(2))
    archive_for(open_space, tmp_path, x_id="1111")
    archive_for(shy_space, tmp_path, x_id="2222")
    services.set_consent(open_account, ConsentLevel.PUBLIC)
    services.set_consent(shy_account, ConsentLevel.FOLLOWERS)

    second = Instance(tmp_path / "second")
    second.run("crosswalk", "subscribe", publisher, "--source", "national", "--confidence", "0.9")
    assert second.links("dataset:national") == {("1111", "bluesky", did_for(1), 0.9)}

    # Nothing new: the feed answers 304 to the ETag the second instance kept.
    page = httpx.get(publisher + FEED_PATH, params={"after": 1})
    assert (
        httpx.get(
            publisher + FEED_PATH,
            params={"after": 1},
            headers={"If-None-Match": page.headers["etag"]},
        ).status_code
        == 304
    )
    second.run("crosswalk", "pull")
    assert second.links("dataset:national") == {("1111", "bluesky", did_for(1), 0.9)}

    # The person withdraws: gone from the second instance after its next pull.
    services.set_consent(open_account, ConsentLevel.PRIVATE)
    second.run("crosswalk", "pull")
    assert second.links("dataset:national") == set()

    # Shared again, and read through a proxy that alters the feed: refused, nothing applied.
    services.set_consent(open_account, ConsentLevel.PUBLIC)
    second.run("crosswalk", "subscribe", publisher, "--source", "direct")
    assert second.links("dataset:direct") == {("1111", "bluesky", did_for(1), 0.9)}
    altered = second.run("crosswalk", "subscribe", tampering, "--source", "tampered", ok=False)
    assert altered.returncode == 1
    assert "is not signed by the key pinned when you subscribed" in altered.stderr
    assert "Nothing was applied" in altered.stderr
    pulled = second.run("crosswalk", "pull", "--source", "tampered", ok=False)
    assert pulled.returncode == 1 and "Nothing was applied" in pulled.stderr
    assert second.links("dataset:tampered") == set()
