"""Own short links, `ENVOL_PUBLIC_URL/l/<code>`: the traffic each network really sends.

Each network's variant of a post gets its own link to the same target, so a click is attributed
to the network that sent it. Counting respects the CNIL's audience-measurement exemption (no
consent banner needed): no IP address and no cookie is stored. A visitor is a hash of the
address, the user agent and the link, salted with a random salt of the day; the salt and the
day's hashes are deleted the next day, so nothing can be recomputed or followed across days.

The redirect does one indexed lookup (the code), then counts with two atomic statements
(`INSERT … ON CONFLICT`): concurrent clicks never lose an update. Bots are not counted (see
`bots.is_bot`), nor HEAD requests; they are redirected all the same.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from envol.insights.bots import is_bot
from envol.insights.models import (
    Campaign,
    ClickSalt,
    LinkClickDay,
    LinkVisitor,
    ShortLink,
)
from envol.orgs.models import Organisation

CODE_ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 8  # 62⁸ ≈ 2·10¹⁴ codes: not guessable by enumeration
CODE_PATTERN = re.compile(r"^[A-Za-z0-9]{4,16}$")
URL_IN_TEXT = re.compile(r"https?://[^\s<>\"')\]]+[^\s<>\"').,;:!?\]]")
UTM = ("utm_source", "utm_medium", "utm_campaign")


class LinkError(Exception):
    """A user-facing problem with a link (not an http(s) URL…)."""


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def short_url(link: ShortLink | str) -> str:
    code = link if isinstance(link, str) else link.code
    return f"{settings.PUBLIC_URL}/l/{code}"


def with_utm(url: str, platform: str, campaign: str = "") -> str:
    """The target with `utm_source=<network>&utm_medium=social[&utm_campaign=<campaign>]`;
    UTM parameters already in the URL are kept as they are."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {key for key, _value in query}
    wanted = {"utm_source": platform, "utm_medium": "social", "utm_campaign": campaign}
    query += [(key, value) for key, value in wanted.items() if value and key not in present]
    return urlunsplit(parts._replace(query=urlencode(query)))


def check_target(url: str) -> str:
    url = url.strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise LinkError(
            _("“%(url)s” is not a web address (http:// or https://).") % {"url": url[:200]}
        ) from None
    return url


def create_link(
    org: Organisation,
    target_url: str,
    *,
    platform: str = "",
    campaign: Campaign | None = None,
    post: Any = None,
    utm: bool = False,
    actor: Any = None,
) -> ShortLink:
    """A new link (or, for a post's variant, the one it already has)."""
    target = check_target(target_url)
    if utm and platform:
        target = with_utm(target, platform, campaign.name if campaign else "")
    if post is not None:
        existing = ShortLink.objects.filter(post=post, platform=platform, target_url=target).first()
        if existing is not None:
            return existing
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return ShortLink.objects.create(
                    organisation=org,
                    code=new_code(),
                    target_url=target,
                    platform=platform,
                    campaign=campaign,
                    post=post,
                    created_by=actor if getattr(actor, "is_authenticated", False) else None,
                )
        except IntegrityError:  # a code already taken: draw another
            continue
    raise LinkError(_("No free short code could be drawn; try again."))


@dataclass
class VariantLinks:
    """Rewrites each network's text so that every web address in it becomes that network's own
    short link (`envol post --short-links`). `dry_run` shows placeholder codes and stores
    nothing; otherwise links are created without a post, then tied to it by `attach`."""

    org: Organisation
    campaign: Campaign | None = None
    utm: bool = False
    dry_run: bool = False
    links: dict[tuple[str, str], ShortLink | str] = field(default_factory=dict)

    def rewrite(self, network: str, text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            target = match.group(0)
            if target.startswith(f"{settings.PUBLIC_URL}/l/"):
                return target
            key = (network, target)
            if key not in self.links:
                self.links[key] = (
                    "x" * CODE_LENGTH
                    if self.dry_run
                    else create_link(
                        self.org, target, platform=network, campaign=self.campaign, utm=self.utm
                    )
                )
            return short_url(self.links[key])

        return URL_IN_TEXT.sub(replace, text)

    def attach(self, post: Any) -> None:
        codes = [link.code for link in self.links.values() if isinstance(link, ShortLink)]
        ShortLink.objects.filter(code__in=codes, post__isnull=True).update(post=post)


# --- the redirect -----------------------------------------------------------------------------

_salts: dict[date, str] = {}
_salt_lock = threading.Lock()


def daily_salt(today: date) -> str:
    """Today's salt, drawn at the day's first click; yesterday's salt and visitors are deleted
    then. Cached in the process for the day."""
    found = _salts.get(today)
    if found is not None:
        return found
    with _salt_lock:
        if today not in _salts:
            table = ClickSalt._meta.db_table
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} (day, salt) VALUES (%s, %s) "  # noqa: S608
                    "ON CONFLICT (day) DO NOTHING",
                    [today, secrets.token_hex(32)],
                )
                cursor.execute(f"SELECT salt FROM {table} WHERE day = %s", [today])  # noqa: S608
                _salts.clear()
                _salts[today] = str(cursor.fetchone()[0])
                forget_before(today)
    return _salts[today]


def forget_before(today: date) -> None:
    """Delete the salts and visitor hashes of past days (the counts stay)."""
    ClickSalt.objects.filter(day__lt=today).delete()
    LinkVisitor.objects.filter(day__lt=today).delete()


def visitor_digest(salt: str, link_id: int, address: str, user_agent: str) -> str:
    material = f"{salt}\x1f{link_id}\x1f{address}\x1f{user_agent}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


def count_click(link_id: int, digest: str, today: date) -> None:
    """One click: a visitor new today adds one to `visitors`; both counters move in single
    atomic statements, so concurrent clicks all count."""
    visitors = LinkVisitor._meta.db_table
    days = LinkClickDay._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {visitors} (link_id, day, digest) VALUES (%s, %s, %s) "  # noqa: S608
            "ON CONFLICT (link_id, day, digest) DO NOTHING",
            [link_id, today, digest],
        )
        new_visitor = 1 if cursor.rowcount == 1 else 0
        cursor.execute(
            f"INSERT INTO {days} (link_id, day, clicks, visitors) "  # noqa: S608
            "VALUES (%s, %s, 1, %s) ON CONFLICT (link_id, day) DO UPDATE SET "
            f"clicks = {days}.clicks + 1, visitors = {days}.visitors + excluded.visitors",
            [link_id, today, new_visitor],
        )


def local_today() -> date:
    return timezone.localdate()


def follow(
    code: str,
    *,
    method: str,
    address: str,
    user_agent: str,
    today: Callable[[], date] | None = None,
) -> str | None:
    """The link's target (None when there is no such code); counts the click unless it comes
    from a bot or is not a GET. `today` defaults to `local_today` (looked up at each call, so
    a test can fix the day)."""
    if not CODE_PATTERN.match(code):
        return None
    found = ShortLink.objects.filter(code=code).values_list("pk", "target_url").first()
    if found is None:
        return None
    link_id, target = found
    if method == "GET" and not is_bot(user_agent):
        day = (today or local_today)()
        count_click(link_id, visitor_digest(daily_salt(day), link_id, address, user_agent), day)
    return str(target)
