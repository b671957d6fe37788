"""Crossposting against a real Bluesky PDS and the Mastodon API test server: variants, threads,
images with alt text, and exactly-once publication across crashes."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from django.test import override_settings
from django.utils import timezone

from envol.cli import main
from envol.jobs.runner import step
from envol.orgs import accounts
from envol.orgs.mastodon_accounts import connect_with_token
from envol.orgs.models import ConnectedAccount, Organisation
from envol.orgs.services import create_organisation
from envol.publishing import services
from envol.publishing.models import Post, Publication
from envol.testing.fixtures.mastodon import MastodonAccount
from envol.testing.mastodon import MastodonTestServer
from envol.testing.pds import PdsServer, TestAccount

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("allow_loopback")]

LONG_FR = " ".join(
    f"Phrase {i} : la métropole ouvre un nouveau service public numérique à tous les habitants, "
    "avec des permanences dans chaque mairie de quartier 🏛️."
    for i in range(1, 9)
)


@pytest.fixture
def allow_loopback() -> object:
    with override_settings(ENVOL_ALLOW_PRIVATE_NETWORKS=True) as value:
        yield value


def png(width: int = 4, height: int = 3) -> bytes:
    """A valid tiny PNG, made here (no binary fixture in the repo)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def bluesky_connected(org: Organisation, pds: PdsServer, who: TestAccount) -> ConnectedAccount:
    return accounts.connect_bluesky(org, who.handle, who.password, pds.url)


def bluesky_posts(pds: PdsServer, did: str) -> list[dict]:
    response = httpx.get(
        f"{pds.url}/xrpc/com.atproto.repo.listRecords",
        params={"repo": did, "collection": "app.bsky.feed.post", "limit": 100},
    )
    return [r["value"] for r in response.json()["records"]]


def mastodon_statuses(who: MastodonAccount) -> list[dict]:
    response = httpx.get(
        f"{who.api_base_url}/api/v1/accounts/{who.id}/statuses",
        headers={"Authorization": f"Bearer {who.token}"},
        params={"limit": 40},
    )
    return list(response.json())


@pytest.fixture
def org() -> Organisation:
    return create_organisation("ville-a", "Ville A")


@pytest.fixture
def targets(
    org: Organisation,
    pds: PdsServer,
    pds_account: TestAccount,
    mastodon_server: MastodonTestServer,
    mastodon_account: Callable[..., MastodonAccount],
) -> tuple[ConnectedAccount, ConnectedAccount, MastodonAccount]:
    masto = mastodon_account("mairie")
    return (
        bluesky_connected(org, pds, pds_account),
        connect_with_token(org, masto.api_base_url, masto.token),
        masto,
    )


def test_plan_fits_each_network() -> None:
    bluesky = ConnectedAccount(network="bluesky", handle="a.test", pk=1)
    mastodon = ConnectedAccount(network="mastodon", handle="a@m.test", pk=2)
    variants = services.plan(LONG_FR, [bluesky, mastodon], content_warning="Annonce")
    by_network = {v.account.network: v for v in variants}
    assert len(by_network["bluesky"].parts) > len(by_network["mastodon"].parts) > 1
    for variant in variants:
        assert all(count <= variant.limit for count in variant.counts)
        assert variant.parts[0].endswith(f" 1/{len(variant.parts)}")
    assert by_network["mastodon"].limit == 500 - len("Annonce")


def test_thread_with_image_on_both_networks(
    org: Organisation, pds: PdsServer, targets: tuple, tmp_path: Path
) -> None:
    bluesky, mastodon, masto = targets
    image = tmp_path / "affiche.png"
    image.write_bytes(png())
    post = services.create_post(
        org,
        LONG_FR,
        [bluesky, mastodon],
        images=[services.ImageSpec(image, "Affiche du nouveau service public")],
    )
    outcomes = services.publish(post)
    assert all(not o.error for o in outcomes), [o.error for o in outcomes]
    post.refresh_from_db()
    assert post.state == Post.State.DONE
    records = sorted(bluesky_posts(pds, bluesky.remote_id), key=lambda r: r["createdAt"])
    parts = post.publications.filter(account=bluesky).count()
    assert len(records) == parts > 1
    assert records[0]["embed"]["images"][0]["alt"] == "Affiche du nouveau service public"
    first_uri = post.publications.get(account=bluesky, part_index=0).remote_uri
    assert all(r["reply"]["root"]["uri"] == first_uri for r in records[1:])
    statuses = mastodon_statuses(masto)
    assert len(statuses) == post.publications.filter(account=mastodon).count()
    assert any(
        s["media_attachments"]
        and s["media_attachments"][0]["description"] == "Affiche du nouveau service public"
        for s in statuses
    )


def test_crash_after_send_never_publishes_twice(
    org: Organisation, pds: PdsServer, targets: tuple
) -> None:
    bluesky, mastodon, masto = targets
    post = services.create_post(
        org,
        "Bonjour, nous sommes désormais ici ! #envol",
        [bluesky, mastodon],
        content_warning="Annonce",
    )
    services.publish(post)
    # The worker died after the network accepted the posts but before our rows said so:
    Publication.objects.filter(post=post).update(
        state=Publication.State.SENT, remote_uri="", remote_id="", public_url=""
    )
    Post.objects.filter(pk=post.pk).update(state=Post.State.PUBLISHING, due_at=timezone.now())
    outcomes = services.publish(post)
    assert all(not o.error for o in outcomes), [o.error for o in outcomes]
    assert len(bluesky_posts(pds, bluesky.remote_id)) == 1
    assert len(mastodon_statuses(masto)) == 1
    assert set(Publication.objects.filter(post=post).values_list("state", flat=True)) == {"done"}
    assert bluesky_posts(pds, bluesky.remote_id)[0]["text"].startswith("⚠️ Annonce\n\n")
    assert mastodon_statuses(masto)[0]["spoiler_text"] == "Annonce"
    # and running it again once everything is done sends nothing
    services.publish(post)
    assert len(bluesky_posts(pds, bluesky.remote_id)) == 1


def test_missing_alt_text_is_refused(org: Organisation, targets: tuple, tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(png())
    with pytest.raises(services.PublishingError, match="texte alternatif"):
        services.create_post(org, "Texte", [targets[0]], images=[services.ImageSpec(image, " ")])
    assert not Post.objects.exists()


def test_cli_dry_run_and_publish(org: Organisation, pds: PdsServer, targets: tuple) -> None:
    runner = CliRunner()
    dry = runner.invoke(
        main, ["post", "--org", "ville-a", "--to", "bluesky,mastodon", "--dry-run", LONG_FR]
    )
    assert dry.exit_code == 0, dry.output
    assert "Bluesky" in dry.output and "Mastodon" in dry.output and "/300" in dry.output
    assert not Post.objects.exists()
    no_alt = runner.invoke(
        main, ["post", "--org", "ville-a", "--to", "bluesky", "--image", "x.png", "Texte"]
    )
    assert no_alt.exit_code == 2 and "texte alternatif" in no_alt.output  # French by default
    real = runner.invoke(
        main,
        [
            "post",
            "--org",
            "ville-a",
            "--to",
            "bluesky,mastodon",
            "Ouverture de la médiathèque samedi à 10 h.",
        ],
    )
    assert real.exit_code == 0, real.output
    lines = real.output.strip().splitlines()
    assert len(lines) == 2
    assert any("/post/" in line for line in lines)
    assert any(line.startswith(f"Mastodon {targets[1].handle}: http") for line in lines)


def test_a_mastodon_instance_with_its_own_limit_gets_parts_that_fit(
    org: Organisation, mastodon_account: Callable[..., MastodonAccount]
) -> None:
    """A smaller instance (here 200 characters) is asked for its limit before the split, so
    every status is accepted; the default 500 would have been refused with a 422."""
    with MastodonTestServer.start("petit.test", max_characters=200) as small:
        _, token = small.create_account("mairie")
        account = connect_with_token(org, small.url, token)
        post = services.create_post(org, LONG_FR, [account])
        rows = list(post.publications.order_by("part_index"))
        assert len(rows) > len(services.plan(LONG_FR, [account])[0].parts)
        outcomes = services.publish(post)
        assert [o.error for o in outcomes] == [""]
        assert len(small.statuses("mairie")) == len(rows)


def test_a_rate_limit_waits_for_the_window_then_each_part_goes_out_once(
    org: Organisation,
) -> None:
    """Mastodon's 429 leaves the post `publishing`, due when the window reopens (not a failure,
    not counted as one); the parts already out are not sent again."""
    with MastodonTestServer.start("limite.test") as server:
        _, token = server.create_account("mairie")
        server.set_budget("statuses", 1, 3600)
        server.start_window(3600)
        account = connect_with_token(org, server.url, token)
        post = services.queue(services.create_post(org, LONG_FR, [account]))
        parts = post.publications.count()
        assert parts >= 2
        assert step(post).ran
        post.refresh_from_db()
        assert post.state == Post.State.PUBLISHING
        assert post.due_at is not None and post.consecutive_errors == 0
        assert account.handle in post.last_error
        states = list(post.publications.order_by("part_index").values_list("state", flat=True))
        assert states[0] == Publication.State.DONE and Publication.State.FAILED not in states
        assert len(server.statuses("mairie")) == 1

        server.set_budget("statuses", 300)
        server.advance_clock(3600)  # the next window
        Post.objects.filter(pk=post.pk).update(due_at=timezone.now())
        post.refresh_from_db()
        assert step(post).ran
        post.refresh_from_db()
        assert post.state == Post.State.DONE and post.last_error == ""
        assert len(server.statuses("mairie")) == parts


def test_an_unreachable_network_is_retried_then_the_post_fails(org: Organisation) -> None:
    """A network that cannot be reached is tried again after the engine's backoff, a few
    times; then the post is failed, for a person to retry."""
    with MastodonTestServer.start("panne.test") as server:
        _, token = server.create_account("mairie")
        account = connect_with_token(org, server.url, token)
    post = services.queue(services.create_post(org, "Bonjour !", [account]))  # server gone
    assert step(post).ran
    post.refresh_from_db()
    assert post.state == Post.State.PUBLISHING and post.consecutive_errors == 1
    assert post.due_at is not None  # after the engine's backoff
    Post.objects.filter(pk=post.pk).update(
        consecutive_errors=services.TRANSIENT_ATTEMPTS - 1, due_at=timezone.now()
    )
    post.refresh_from_db()
    assert step(post).ran
    post.refresh_from_db()
    assert post.state == Post.State.FAILED
    assert post.publications.get().state == Publication.State.SENT  # retried with its key
