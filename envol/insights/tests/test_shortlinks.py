"""Own short links: the redirect, who is counted, what is never stored, concurrency."""

from __future__ import annotations

import threading
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from django.db import connections
from django.db.models import Sum
from django.test import Client

from envol.cli import main
from envol.insights import shortlinks
from envol.insights.bots import is_bot
from envol.insights.models import ClickSalt, LinkClickDay, LinkVisitor, ShortLink
from envol.insights.services import save_campaign
from envol.orgs.models import ConnectedAccount, Organisation
from envol.publishing import services as publishing

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
BOTS = [
    "http.rb/5.1.1 (Mastodon/4.3.2; +https://mastodon.social/)",
    "http.rb/5.2.0 (Mastodon/4.4.0-nightly; +https://social.numerique.gouv.fr/)",
    "Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; Qwantify/Bleriot/1.1; +https://help.qwant.com/bot)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Pleroma 2.6.0; https://pleroma.example <admin@pleroma.example>",
    "Misskey/2024.1.0 (https://misskey.io)",
    "curl/8.5.0",
    "python-requests/2.32.3",
    "",
]


@pytest.mark.parametrize("agent", BOTS)
def test_bots_are_recognised(agent: str) -> None:
    assert is_bot(agent)


@pytest.mark.parametrize("agent", [FIREFOX, SAFARI])
def test_browsers_are_people(agent: str) -> None:
    assert not is_bot(agent)


@pytest.fixture
def link(org: Organisation) -> ShortLink:
    return shortlinks.create_link(org, "https://metropole.rennes.fr/crue?x=1", platform="bluesky")


@pytest.fixture(autouse=True)
def fresh_salt_cache() -> None:
    """The day's salt is cached per process; each test's database starts without it."""
    shortlinks._salts.clear()


def counts(link: ShortLink) -> tuple[int, int]:
    """Clicks and visitors over every day: a test may cross midnight while it clicks."""
    totals = LinkClickDay.objects.filter(link=link).aggregate(c=Sum("clicks"), v=Sum("visitors"))
    return (totals["c"] or 0, totals["v"] or 0)


@pytest.mark.django_db
def test_redirect_is_a_302_without_session_cookie_or_template(
    link: ShortLink, viewer: Client
) -> None:
    anonymous = Client(HTTP_USER_AGENT=FIREFOX)
    response = anonymous.get(f"/l/{link.code}")
    assert response.status_code == 302
    assert response["Location"] == "https://metropole.rennes.fr/crue?x=1"
    assert "Set-Cookie" not in response and not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    assert response["Cache-Control"] == "no-store"
    assert not response.templates
    # a signed-in member is redirected the same way, and their session is never touched
    signed_in = viewer.get(f"/l/{link.code}", HTTP_USER_AGENT=FIREFOX)
    assert signed_in.status_code == 302 and not signed_in.cookies
    assert Client().get("/l/nothere1").status_code == 404
    assert Client().get("/l/../../etc").status_code == 404


@pytest.mark.django_db
def test_people_are_counted_bots_and_head_requests_are_not(
    link: ShortLink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shortlinks, "local_today", lambda: date(2025, 1, 27))
    for agent in BOTS:
        assert Client(HTTP_USER_AGENT=agent).get(f"/l/{link.code}").status_code == 302
    assert Client(HTTP_USER_AGENT=FIREFOX).head(f"/l/{link.code}").status_code == 302
    assert counts(link) == (0, 0)
    Client(HTTP_USER_AGENT=FIREFOX).get(f"/l/{link.code}", REMOTE_ADDR="192.0.2.1")
    Client(HTTP_USER_AGENT=FIREFOX).get(f"/l/{link.code}", REMOTE_ADDR="192.0.2.1")
    Client(HTTP_USER_AGENT=SAFARI).get(f"/l/{link.code}", REMOTE_ADDR="192.0.2.1")
    Client(HTTP_USER_AGENT=FIREFOX).get(f"/l/{link.code}", REMOTE_ADDR="198.51.100.7")
    assert counts(link) == (4, 3)  # 4 clicks, 3 distinct visitors today


@pytest.mark.django_db
def test_no_address_or_agent_is_stored_and_the_salt_is_forgotten_the_next_day(
    link: ShortLink,
) -> None:
    monday, tuesday = date(2025, 1, 27), date(2025, 1, 28)
    visit = {"method": "GET", "address": "192.0.2.1", "user_agent": FIREFOX}
    shortlinks.follow(link.code, today=lambda: monday, **visit)
    shortlinks.follow(link.code, today=lambda: monday, **visit)
    monday_salt = ClickSalt.objects.get(day=monday).salt
    stored = [v.digest for v in LinkVisitor.objects.all()]
    assert len(stored) == 1 and "192.0.2.1" not in stored[0] and len(stored[0]) == 32
    shortlinks.follow(link.code, today=lambda: tuesday, **visit)
    # Monday's salt and hashes are gone: the same visitor cannot be linked across days.
    assert not ClickSalt.objects.filter(day=monday).exists()
    assert not LinkVisitor.objects.filter(day=monday).exists()
    assert ClickSalt.objects.get(day=tuesday).salt != monday_salt
    assert list(LinkClickDay.objects.order_by("day").values_list("day", "clicks", "visitors")) == [
        (monday, 2, 1),
        (tuesday, 1, 1),
    ]
    everything = " ".join(
        str(v)
        for model in (LinkClickDay, LinkVisitor, ClickSalt, ShortLink)
        for v in model.objects.values_list()
    )
    assert "192.0.2.1" not in everything and "Firefox" not in everything


@pytest.mark.django_db(transaction=True)
def test_concurrent_clicks_are_all_counted(org: Organisation) -> None:
    link = shortlinks.create_link(org, "https://example.org/", platform="mastodon")
    threads, each = 8, 25
    errors: list[BaseException] = []

    def click(worker: int) -> None:
        try:
            client = Client(HTTP_USER_AGENT=FIREFOX)
            for index in range(each):
                response = client.get(f"/l/{link.code}", REMOTE_ADDR=f"10.0.{worker}.{index}")
                assert response.status_code == 302
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    running = [threading.Thread(target=click, args=(n,)) for n in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    assert not errors, errors
    assert counts(link) == (threads * each, threads * each)


@pytest.mark.django_db
def test_utm_parameters_are_added_without_overwriting(org: Organisation) -> None:
    campaign = save_campaign(org, "crue-2025")
    link = shortlinks.create_link(
        org,
        "https://example.org/p?utm_medium=email&a=1",
        platform="mastodon",
        campaign=campaign,
        utm=True,
    )
    query = parse_qs(urlsplit(link.target_url).query)
    assert query == {
        "a": ["1"],
        "utm_medium": ["email"],
        "utm_source": ["mastodon"],
        "utm_campaign": ["crue-2025"],
    }


@pytest.mark.django_db
def test_links_create_command(org: Organisation) -> None:
    result = CliRunner(env={"ENVOL_LANGUAGE": "en"}).invoke(
        main,
        ["links", "create", "https://example.org/", "--org", org.slug, "--campaign", "Crue"],
    )
    assert result.exit_code == 0, result.output
    link = ShortLink.objects.get()
    assert f"/l/{link.code}" in result.output and link.campaign.name == "Crue"
    bad = CliRunner().invoke(main, ["links", "create", "javascript:alert(1)", "--org", org.slug])
    assert bad.exit_code == 1 and ShortLink.objects.count() == 1


@pytest.mark.django_db
def test_each_network_variant_gets_its_own_link(org: Organisation) -> None:
    accounts = [
        ConnectedAccount.objects.create(organisation=org, network="bluesky", handle="rennes.fr"),
        ConnectedAccount.objects.create(
            organisation=org, network="mastodon", handle="rennes@social.example"
        ),
    ]
    campaign = save_campaign(org, "Crue")
    links = shortlinks.VariantLinks(org, campaign=campaign, utm=True)
    text = (
        "Point de situation : https://metropole.rennes.fr/crue et https://metropole.rennes.fr/crue"
    )
    post = publishing.create_post(org, text, accounts, rewrite=links.rewrite)
    links.attach(post)
    made = {link.platform: link for link in ShortLink.objects.filter(post=post)}
    assert set(made) == {"bluesky", "mastodon"}
    for publication in post.publications.all():
        own = made[publication.network]
        assert shortlinks.short_url(own) in publication.text
        assert "metropole.rennes.fr/crue" not in publication.text
        assert f"utm_source={publication.network}" in own.target_url
        assert own.campaign == campaign
    # the dry run shows placeholders and stores nothing
    dry = shortlinks.VariantLinks(org, dry_run=True)
    variants = publishing.plan(text, accounts, rewrite=dry.rewrite)
    assert all("/l/xxxxxxxx" in v.parts[0] for v in variants)
    assert ShortLink.objects.count() == 2


@pytest.mark.django_db
def test_post_dry_run_with_short_links_shows_them_and_stores_nothing(org: Organisation) -> None:
    ConnectedAccount.objects.create(organisation=org, network="bluesky", handle="rennes.fr")
    result = CliRunner().invoke(
        main,
        [
            "post",
            "--org",
            org.slug,
            "--to",
            "bluesky",
            "--dry-run",
            "--short-links",
            "Crue : https://metropole.rennes.fr/crue",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "/l/xxxxxxxx" in result.output and "metropole.rennes.fr" not in result.output
    assert not ShortLink.objects.exists()
    refused = CliRunner().invoke(
        main, ["post", "--org", org.slug, "--to", "bluesky", "--dry-run", "--utm", "Texte"]
    )
    assert refused.exit_code != 0 and "--short-links" in refused.output
