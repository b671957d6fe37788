"""Compose once, publish everywhere, exactly once.

`plan` adapts the text to each target (its counting rules and limit, a thread when too long);
`create_post` records the post and one `Publication` row per part and account, each with its
idempotency key, in one transaction and *before* any remote call. Publishing is a job of the
engine (`publishing/jobs.py`): `queue` hands the post to the workers, `publish` runs it here;
`publish_step` sends every account's parts concurrently (one thread per account: the whole
takes about as long as the slowest network) and can be run again at any time: what is done is
skipped, what was sent and not confirmed is sent again with the same key, which the network
answers with the existing post (Bluesky: the record key; Mastodon: `Idempotency-Key`,
remembered for one hour).
"""

from __future__ import annotations

import mimetypes
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import close_old_connections, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from envol.jobs.kinds import Outcome, Step, retry, to
from envol.jobs.runner import run_to_end
from envol.jobs.transitions import move
from envol.networks import text as text_rules
from envol.networks.base import (
    Capabilities,
    InvalidContent,
    LinkCard,
    Media,
    NetworkError,
    PostDraft,
    RateLimited,
    Transient,
)
from envol.networks.base import Publication as RemotePublication
from envol.networks.bluesky import new_tid
from envol.orgs.accounts import AccountError, network_for
from envol.orgs.models import ConnectedAccount, Organisation
from envol.orgs.models import Network as NetworkChoice
from envol.orgs.services import audit
from envol.publishing.models import Post, PostMedia, Publication
from envol.publishing.workflow import DeskError as DeskError
from envol.publishing.workflow import submit_for_review as submit_for_review


class PublishingError(Exception):
    """A user-facing problem with a post (too long a link, a missing alt text…)."""


@dataclass(frozen=True)
class ImageSpec:
    path: Path
    alt: str

    @property
    def mime(self) -> str:
        return mimetypes.guess_type(self.path.name)[0] or "application/octet-stream"


@dataclass(frozen=True)
class Variant:
    """The post as one account will receive it."""

    account: ConnectedAccount
    parts: list[str]
    counts: list[int]
    limit: int
    unit: str


DEFAULT_RULES = {
    NetworkChoice.BLUESKY: text_rules.TextRules.bluesky(),
    NetworkChoice.MASTODON: text_rules.TextRules.mastodon(),
}


def rules_for(
    account: ConnectedAccount, capabilities: Capabilities | None = None
) -> text_rules.TextRules:
    """The account's counting rules; a Mastodon instance's own limit when known."""
    if capabilities is None:
        return DEFAULT_RULES[NetworkChoice(account.network)]
    return text_rules.TextRules.for_network(
        account.network,  # type: ignore[arg-type]
        capabilities.text_limit,
        capabilities.url_weight if account.network == NetworkChoice.MASTODON else None,
    )


def instance_capabilities(accounts: Sequence[ConnectedAccount]) -> dict[int, Capabilities]:
    """account pk → what its Mastodon instance accepts (`/api/v2/instance`: its own character
    limit and URL weight). Bluesky's rules are fixed and need no call. An instance that cannot
    be asked keeps Mastodon's defaults; publishing then reports what the instance refuses."""
    found = {}
    for account in accounts:
        if account.network != NetworkChoice.MASTODON:
            continue
        try:
            found[account.pk] = network_for(account).capabilities()
        except (AccountError, NetworkError):
            continue
    return found


def plan(
    text: str,
    accounts: Sequence[ConnectedAccount],
    *,
    content_warning: str = "",
    numbering: bool = True,
    capabilities: dict[int, Capabilities] | None = None,
    rewrite: Callable[[str, str], str] | None = None,
    texts: Mapping[int, str] | None = None,
) -> list[Variant]:
    """Each account's variant: the text, or a thread of parts that each fit. `rewrite(network,
    text)` adapts the text to a network first (e.g. its own short links); `texts` gives some
    accounts (by pk) a text of their own (a relay's template per target)."""
    if not text.strip() or any(not own.strip() for own in (texts or {}).values()):
        raise PublishingError(_("The post is empty."))
    variants = []
    for account in accounts:
        rules = rules_for(account, (capabilities or {}).get(account.pk))
        own = (texts or {}).get(account.pk, text)
        own = rewrite(account.network, own) if rewrite else own
        room, body = rules, network_text(own, content_warning, account)
        if content_warning and account.network == NetworkChoice.MASTODON:
            # Mastodon counts the content warning with every status of the thread.
            room = replace(rules, limit=rules.limit - text_rules.count(content_warning, rules))
        try:
            parts = text_rules.split_thread(body, room, numbering=numbering)
        except text_rules.TextTooLong as exc:
            raise PublishingError(
                _("%(network)s: a link, mention or hashtag is longer than one post: %(piece)s")
                % {"network": account.get_network_display(), "piece": exc.piece[:80]}
            ) from None
        variants.append(
            Variant(
                account, parts, [text_rules.count(p, rules) for p in parts], room.limit, rules.unit
            )
        )
    return variants


def fixed_parts(
    parts: list[str],
    accounts: Sequence[ConnectedAccount],
    content_warning: str,
    capabilities: dict[int, Capabilities] | None = None,
) -> list[Variant]:
    """The author's own thread, checked against each target's rules."""
    variants = []
    for account in accounts:
        rules = rules_for(account, (capabilities or {}).get(account.pk))
        spoiler = content_warning if account.network == NetworkChoice.MASTODON else ""
        counts = [text_rules.count(part, rules, spoiler=spoiler) for part in parts]
        if not parts or any(count > rules.limit for count in counts):
            raise PublishingError(
                _("%(network)s: a part of this thread is too long (%(counts)s, limit %(limit)s).")
                % {
                    "network": account.get_network_display(),
                    "counts": ", ".join(map(str, counts)),
                    "limit": rules.limit,
                }
            )
        variants.append(Variant(account, parts, counts, rules.limit, rules.unit))
    return variants


def network_text(text: str, content_warning: str, account: ConnectedAccount) -> str:
    """Bluesky has no free-text content warning: it becomes the first line of the post."""
    if content_warning and account.network == NetworkChoice.BLUESKY:
        return f"⚠️ {content_warning}\n\n{text}"
    return text


def new_key(account: ConnectedAccount) -> str:
    """The idempotency key of one publication, chosen before the call."""
    return new_tid() if account.network == NetworkChoice.BLUESKY else uuid.uuid4().hex


@transaction.atomic
def create_post(
    org: Organisation,
    text: str,
    accounts: Sequence[ConnectedAccount],
    *,
    author: Any = None,
    content_warning: str = "",
    lang: str = "fr",
    images: Sequence[ImageSpec] = (),
    numbering: bool = True,
    parts: Sequence[str] | None = None,
    origin: str = "",
    rewrite: Callable[[str, str], str] | None = None,
    texts: Mapping[int, str] | None = None,
    link_url: str = "",
    link_card: Mapping[str, str] | None = None,
) -> Post:
    """Record the post, its images and every publication row (with its key).

    `parts` gives the thread as the author cut it (each part must fit every target); otherwise
    each network's variant is planned (`texts`: an account's own text, by pk). With an `origin`,
    an existing post of that origin is returned instead of creating a second one. `link_card`
    (title, description, image) is the card of `link_url` when the caller knows it (a relay
    has its feed item's); Bluesky shows it on the first part.
    """
    if origin:
        existing = Post.objects.filter(organisation=org, origin=origin).first()
        if existing is not None:
            return existing
    for account in accounts:
        if account.organisation_id != org.pk:
            raise PublishingError(
                _("Account %(account)s does not belong to this organisation.")
                % {"account": account}
            )
    for image in images:
        if not image.alt.strip():
            raise PublishingError(
                _(
                    "Image %(name)s has no alternative text: describe it for "
                    "people who cannot see it."
                )
                % {"name": image.path.name}
            )
        if not image.path.is_file():
            raise PublishingError(_("Image %(name)s not found.") % {"name": str(image.path)})
    known = instance_capabilities(accounts)
    variants = (
        plan(
            text,
            accounts,
            content_warning=content_warning,
            numbering=numbering,
            capabilities=known,
            rewrite=rewrite,
            texts=texts,
        )
        if parts is None
        else fixed_parts(list(parts), accounts, content_warning, known)
    )
    post = Post.objects.create(
        origin=origin,
        organisation=org,
        author=author,
        text=text,
        content_warning=content_warning,
        lang=lang,
        numbering=numbering,
        link_url=link_url,
        link_card=dict(link_card or {}),
    )
    post.targets.set(accounts)
    for position, image in enumerate(images):
        PostMedia.objects.create(
            post=post,
            position=position,
            path=str(image.path.resolve()),
            mime_type=image.mime,
            alt_text=image.alt,
        )
    for variant in variants:
        for index, part in enumerate(variant.parts):
            Publication.objects.create(
                post=post,
                account=variant.account,
                network=variant.account.network,
                part_index=index,
                part_count=len(variant.parts),
                text=part,
                idempotency_key=new_key(variant.account),
            )
    audit(
        "post.create",
        organisation=org,
        actor=author,
        obj=post,
        targets=[a.handle for a in accounts],
    )
    return post


# A network that answers "too many requests" or cannot be reached is asked again (same keys,
# so never twice) rather than giving up: at its window's reset, or after the engine's backoff.
# This many failed attempts in a row, and the post is left partial or failed for a person to see.
TRANSIENT_ATTEMPTS = 5


@dataclass(frozen=True)
class AccountOutcome:
    account: ConnectedAccount
    urls: list[str]
    error: str = ""
    transient: bool = False  # a rate limit or a network failure: worth another attempt
    retry_at: datetime | None = None  # for a rate limit: when the network's window reopens


def queue(post: Post, actor: Any = None) -> Post:
    """Hand the post to the workers (a draft, or what a partly published or failed post did not
    get out); a post published or being published already is left as it is."""
    if post.can_move_to(Post.State.PUBLISHING):
        move(post, Post.State.PUBLISHING, actor=actor)
    return post


def publish(post: Post) -> list[AccountOutcome]:
    """Publish here and now (the CLI, benches) and say what each account got; safe to call
    again after any failure: only what is not confirmed is sent, with its first key."""
    queue(post)
    run_to_end(post)
    return outcomes(post)


def publish_step(post: Post, step: Step) -> Outcome:
    """The job's one step: send every pending part, all accounts at once (one thread per
    account: the whole takes about as long as the slowest network). A worker killed meanwhile
    leaves parts `sent`; the next step sends them again with the same keys, which the networks
    answer with the existing post."""
    account_ids = sorted(set(post.publications.values_list("account_id", flat=True)))
    if not account_ids:
        return to(Post.State.DONE, errors={})
    with ThreadPoolExecutor(max_workers=len(account_ids)) as pool:
        sent = list(pool.map(lambda aid: _publish_account(post.pk, aid), account_ids))
    transient = [o for o in sent if o.transient]
    if transient and post.consecutive_errors + 1 < TRANSIENT_ATTEMPTS:
        return _try_again(transient)
    finished = {o.account.pk for o in sent if not o.error}
    state = (
        Post.State.DONE
        if len(finished) == len(sent)
        else Post.State.PARTIAL
        if finished
        else Post.State.FAILED
    )
    return to(state, errors={o.account.handle: o.error for o in sent if o.error})


def _try_again(transient: list[AccountOutcome]) -> Outcome:
    """Stay `publishing`: at the latest reset when every failure is a rate limit (not counted as
    an error: the network said when), otherwise after the engine's backoff (counted)."""
    error = "; ".join(f"{o.account.handle}: {o.error}" for o in transient)
    resets = [o.retry_at for o in transient if o.retry_at is not None]
    if len(resets) == len(transient):
        return Outcome(due=max(resets), fields={"last_error": error[:2000]})
    return retry(error)


def outcomes(post: Post) -> list[AccountOutcome]:
    """What each account of the post got, from its publication rows."""
    rows = list(post.publications.select_related("account").order_by("account_id", "part_index"))
    found: list[AccountOutcome] = []
    for account_id in sorted({row.account_id for row in rows}):
        mine = [row for row in rows if row.account_id == account_id]
        missing = [row for row in mine if row.state != Publication.State.DONE]
        error = (missing[0].last_error or _("Not published yet.")) if missing else ""
        urls = [] if missing else [row.public_url for row in mine]
        found.append(AccountOutcome(mine[0].account, urls, error))
    return found


def _drafts(post: Post, rows: Sequence[Publication]) -> list[PostDraft]:
    media = tuple(
        Media(mime=m.mime_type, alt=m.alt_text, path=Path(m.path)) for m in post.media.all()
    )
    # Bluesky carries the warning in the text itself (see `network_text`).
    warning = post.content_warning if rows and rows[0].network == NetworkChoice.MASTODON else ""
    card = None
    if rows and rows[0].network == NetworkChoice.BLUESKY and not media:
        card = _link_card(post)
    return [
        PostDraft(
            text=row.text,
            media=media if row.part_index == 0 else (),
            content_warning=warning,
            langs=(post.lang,) if post.lang else (),
            link_card=card if row.part_index == 0 else None,
        )
        for row in rows
    ]


def _link_card(post: Post) -> LinkCard | None:
    """The post's link card for Bluesky (Mastodon's server builds its own), its image fetched
    now through the guarded transport; a card whose image cannot be had goes without it."""
    found = post.link_card or {}
    if not post.link_url or not found.get("title"):
        return None
    from envol.publishing.cards import fetch_thumb

    thumb = fetch_thumb(found)
    return LinkCard(
        uri=post.link_url,
        title=str(found["title"]),
        description=str(found.get("description", "")),
        thumb=thumb[0] if thumb else None,
        thumb_mime=thumb[1] if thumb else "image/jpeg",
    )


def _publish_account(post_id: int, account_id: int) -> AccountOutcome:
    """One account's parts, in order (each replies to the previous one). Runs in a thread."""
    close_old_connections()
    try:
        post = Post.objects.get(pk=post_id)
        account = ConnectedAccount.objects.get(pk=account_id)
        rows = list(post.publications.filter(account=account).order_by("part_index"))
        try:
            adapter = network_for(account)
        except AccountError as exc:
            return AccountOutcome(account, [], str(exc))
        published: list[RemotePublication] = []
        for row, draft in zip(rows, _drafts(post, rows), strict=True):
            if row.state == Publication.State.DONE:
                published.append(_remote(row))
                continue
            if row.state == Publication.State.FAILED:
                return AccountOutcome(account, [], row.last_error)
            if published:
                draft = replace(draft, reply_to=published[-1], reply_root=published[0])
            Publication.objects.filter(pk=row.pk).update(
                state=Publication.State.SENT, sent_at=timezone.now(), attempts=row.attempts + 1
            )
            try:
                remote = adapter.publish(draft, row.idempotency_key)
            except (InvalidContent, RateLimited, NetworkError) as exc:
                final = isinstance(exc, InvalidContent)
                Publication.objects.filter(pk=row.pk).update(
                    state=Publication.State.FAILED if final else Publication.State.SENT,
                    last_error=str(exc)[:1000],
                )
                return AccountOutcome(
                    account,
                    [],
                    str(exc),
                    transient=isinstance(exc, (RateLimited, Transient)),
                    retry_at=exc.reset_at if isinstance(exc, RateLimited) else None,
                )
            Publication.objects.filter(pk=row.pk).update(
                state=Publication.State.DONE,
                done_at=timezone.now(),
                remote_uri=remote.uri,
                remote_id=remote.remote_id,
                remote_cid=remote.cid,
                public_url=remote.url,
                last_error="",
            )
            published.append(remote)
        return AccountOutcome(account, [p.url for p in published])
    finally:
        connections.close_all()


def _remote(row: Publication) -> RemotePublication:
    from envol.networks.base import NetworkName

    return RemotePublication(
        NetworkName(row.network), row.remote_uri, row.remote_id, row.public_url, row.remote_cid
    )
