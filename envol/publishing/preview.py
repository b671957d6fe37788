"""What each target account will receive, computed by the server's own text rules: the thread
parts and their counts against that account's real limit, the links, mentions and hashtags the
network will see, the images against its limits, what envol changes, and every problem that
would stop the post — before anyone submits it.

The composer's live preview, its no-JavaScript "Preview" button and the publication rows made
when a post is scheduled all call `preview()`: what is shown is what is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from envol.networks import text as text_rules
from envol.networks.base import NetworkError
from envol.networks.bluesky import CAPABILITIES as BLUESKY
from envol.orgs.accounts import AccountError, network_for
from envol.orgs.models import ConnectedAccount
from envol.orgs.models import Network as NetworkChoice

CAPABILITIES_TTL_S = 3600
# Image formats each network takes. Bluesky: the `app.bsky.embed.images` lexicon accepts
# `image/*` blobs, and its app and the PDS's image processing handle these; Mastodon: its
# `MediaAttachment::IMAGE_MIME_TYPES` (what `/api/v2/instance` lists as image types).
IMAGE_FORMATS: dict[str, frozenset[str]] = {
    NetworkChoice.BLUESKY: frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"}),
    NetworkChoice.MASTODON: frozenset(
        {
            "image/jpeg",
            "image/png",
            "image/webp",
            "image/gif",
            "image/heic",
            "image/heif",
            "image/avif",
        }
    ),
}
MASTODON_DEFAULTS = {  # Mastodon's own defaults, when the instance cannot be asked
    "text_limit": 500,
    "url_weight": 23,
    "max_images": 4,
    "image_byte_limit": 16 * 1024 * 1024,
    "alt_text_limit": 1500,
}


@dataclass(frozen=True)
class Limits:
    """One account's limits, and whether they are the instance's own or defaults."""

    text_limit: int
    url_weight: int | None
    max_images: int
    image_byte_limit: int | None
    alt_text_limit: int
    from_instance: bool


UNREACHABLE = "unreachable"
UNREACHABLE_TTL_S = 300


def limits_for(account: ConnectedAccount) -> Limits:
    """Bluesky's fixed limits; a Mastodon instance's own, read from `/api/v2/instance` once an
    hour per account (cached), or Mastodon's defaults when the instance cannot be asked."""
    if account.network != NetworkChoice.MASTODON:
        return Limits(
            BLUESKY.text_limit,
            None,
            BLUESKY.max_images,
            BLUESKY.image_byte_limit,
            BLUESKY.alt_text_limit,
            True,
        )
    key = f"desk:limits:{account.pk}:{account.instance_url}"
    found = cache.get(key)
    if found == UNREACHABLE:
        return Limits(**MASTODON_DEFAULTS, from_instance=False)
    if found is None:
        try:
            caps = network_for(account).capabilities()
        except (AccountError, NetworkError):
            # asked again in a few minutes, not at every keystroke of the live preview
            cache.set(key, UNREACHABLE, UNREACHABLE_TTL_S)
            return Limits(**MASTODON_DEFAULTS, from_instance=False)
        found = {
            "text_limit": caps.text_limit,
            "url_weight": caps.url_weight,
            "max_images": caps.max_images,
            "image_byte_limit": caps.image_byte_limit or MASTODON_DEFAULTS["image_byte_limit"],
            "alt_text_limit": caps.alt_text_limit,
        }
        cache.set(key, found, CAPABILITIES_TTL_S)
    return Limits(**found, from_instance=True)


def rules_of(account: ConnectedAccount, limits: Limits) -> text_rules.TextRules:
    return text_rules.TextRules.for_network(
        account.network,  # type: ignore[arg-type]
        limits.text_limit,
        limits.url_weight if account.network == NetworkChoice.MASTODON else None,
    )


@dataclass(frozen=True)
class Image:
    """An image as the checks see it (saved or just uploaded)."""

    name: str
    mime: str
    size: int
    alt: str


@dataclass(frozen=True)
class Draft:
    """Everything the composer holds. `overrides`: network → its text written by hand."""

    text: str
    targets: Sequence[ConnectedAccount]
    content_warning: str = ""
    lang: str = "fr"
    link_url: str = ""
    link_card: dict[str, Any] = field(default_factory=dict)
    images: Sequence[Image] = ()
    overrides: dict[str, str] = field(default_factory=dict)
    numbering: bool = True
    short_links: bool = False


@dataclass(frozen=True)
class Segment:
    """A run of a part's text; `kind` is url, mention or hashtag where the network sees one."""

    text: str
    kind: str = ""


@dataclass(frozen=True)
class Part:
    text: str
    count: int
    limit: int
    segments: list[Segment]

    @property
    def fits(self) -> bool:
        return self.count <= self.limit


@dataclass(frozen=True)
class AccountPreview:
    account: ConnectedAccount
    limits: Limits
    unit: str
    parts: list[Part]
    images: list[Image]
    changes: list[str]
    problems: list[str]
    overridden: bool
    card: dict[str, Any] | None

    @property
    def network(self) -> str:
        return self.account.network

    @property
    def network_label(self) -> str:
        return self.account.get_network_display()

    @property
    def formats(self) -> list[str]:
        return sorted(m.removeprefix("image/") for m in IMAGE_FORMATS[self.account.network])


@dataclass(frozen=True)
class Preview:
    accounts: list[AccountPreview]
    problems: list[str]  # the post's own (no target, empty text, an image without alt text)
    lang: str = "fr"

    @property
    def blocking(self) -> list[str]:
        """Every problem that stops the post, named with the account it concerns."""
        found = list(self.problems)
        for item in self.accounts:
            found += [f"{item.network_label} {item.account.handle}: {p}" for p in item.problems]
        return found


def body_for(draft: Draft, network: str) -> str:
    """A network's text before splitting: its override or the common text, the link added at
    the end when the text lacks it, and (Bluesky, which has no free-text warning) the content
    warning as the first line."""
    body = draft.overrides.get(network, "").strip() or draft.text.strip()
    if draft.link_url and draft.link_url not in body:
        body = f"{body}\n\n{draft.link_url}" if body else draft.link_url
    if draft.content_warning and network == NetworkChoice.BLUESKY:
        body = f"⚠️ {draft.content_warning}\n\n{body}"
    return body


Rewrite = Callable[[str, str], str]


def preview(draft: Draft, *, rewrite: Rewrite | None = None) -> Preview:
    """Each target's variant. `rewrite(network, text)` turns web addresses into that network's
    short links (placeholders of the real length while composing, the real links when the post
    is scheduled)."""
    problems: list[str] = []
    if not draft.text.strip() and not any(v.strip() for v in draft.overrides.values()):
        problems.append(_("The post is empty."))
    if not draft.targets:
        problems.append(_("Choose at least one account to publish to."))
    for image in draft.images:
        if not image.alt.strip():
            problems.append(
                _(
                    "Image %(name)s has no alternative text: describe it for "
                    "people who cannot see it."
                )
                % {"name": image.name}
            )
    if len(draft.content_warning) > 500:
        problems.append(_("The content warning is longer than 500 characters."))
    return Preview([_account(draft, a, rewrite) for a in draft.targets], problems, draft.lang)


def _account(draft: Draft, account: ConnectedAccount, rewrite: Rewrite | None) -> AccountPreview:
    limits = limits_for(account)
    rules = rules_of(account, limits)
    network = account.network
    problems: list[str] = []
    changes: list[str] = []
    if account.status != ConnectedAccount.Status.OK:
        problems.append(
            _("the account is disconnected (%(detail)s): reconnect it on the Accounts page.")
            % {"detail": account.status_detail or account.get_status_display()}
        )
    body = body_for(draft, network)
    if rewrite is not None and draft.short_links:
        shortened = rewrite(network, body)
        if shortened != body:
            changes.append(_("Each web address becomes this network's own short link."))
        body = shortened
    room = rules
    spoiler = ""
    if draft.content_warning and network == NetworkChoice.MASTODON:
        spoiler = draft.content_warning
        room = replace(rules, limit=rules.limit - text_rules.count(spoiler, rules))
        changes.append(
            _("The content warning hides the text; it counts in every post of the thread.")
        )
    if draft.content_warning and network == NetworkChoice.BLUESKY:
        changes.append(_("Bluesky has no content warning: it becomes the first line of the post."))
    if draft.link_url and draft.link_url not in (draft.overrides.get(network) or draft.text):
        changes.append(_("The link is added at the end of the text."))
    texts: list[str] = []
    uncuttable = False
    if body.strip():
        try:
            texts = text_rules.split_thread(body, room, numbering=draft.numbering)
        except text_rules.TextTooLong as exc:
            uncuttable = True
            problems.append(
                _(
                    "this cannot be cut into posts: a link, mention or hashtag is longer than one "
                    "post (%(piece)s)."
                )
                % {"piece": exc.piece[:80]}
            )
            texts = [body]
    if len(texts) > 1:
        changes.append(
            ngettext(
                "Too long for one post: a thread of %(n)d post, numbered.",
                "Too long for one post: a thread of %(n)d posts, numbered.",
                len(texts),
            )
            % {"n": len(texts)}
            if draft.numbering
            else ngettext(
                "Too long for one post: a thread of %(n)d post.",
                "Too long for one post: a thread of %(n)d posts.",
                len(texts),
            )
            % {"n": len(texts)}
        )
    parts = [
        Part(t, text_rules.count(t, rules, spoiler=spoiler), rules.limit, _segments(t, network))
        for t in texts
    ]
    for index, part in enumerate(parts, start=1):
        if not uncuttable and not text_rules.fits(part.text, rules, spoiler=spoiler):
            problems.append(
                _("post %(index)d counts %(count)d, the limit is %(limit)d.")
                % {"index": index, "count": part.count, "limit": part.limit}
            )
    problems += _image_problems(draft.images, network, limits)
    card = None
    if draft.link_url and draft.link_card.get("title"):
        if network == NetworkChoice.BLUESKY and not draft.images:
            card = draft.link_card
            changes.append(_("The link's card is attached to the first post."))
        elif network == NetworkChoice.BLUESKY:
            changes.append(
                _("With images, Bluesky shows no link card (the link stays in the text).")
            )
        else:
            changes.append(_("The server builds the link's card itself from the first link."))
    return AccountPreview(
        account,
        limits,
        rules.unit,
        parts,
        list(draft.images),
        changes,
        problems,
        bool(draft.overrides.get(network, "").strip()),
        card,
    )


def _image_problems(images: Sequence[Image], network: str, limits: Limits) -> list[str]:
    problems = []
    if len(images) > limits.max_images:
        problems.append(
            ngettext(
                "%(count)d image, at most %(max)d per post here.",
                "%(count)d images, at most %(max)d per post here.",
                len(images),
            )
            % {"count": len(images), "max": limits.max_images}
        )
    for image in images:
        if image.mime not in IMAGE_FORMATS[network]:
            problems.append(
                _("image %(name)s: the format %(mime)s is not accepted here.")
                % {"name": image.name, "mime": image.mime}
            )
        if limits.image_byte_limit is not None and image.size > limits.image_byte_limit:
            problems.append(
                _("image %(name)s weighs %(size)s, more than the %(limit)s allowed here.")
                % {
                    "name": image.name,
                    "size": human_size(image.size),
                    "limit": human_size(limits.image_byte_limit),
                }
            )
        if len(image.alt) > limits.alt_text_limit:
            problems.append(
                _("image %(name)s: the alternative text is longer than %(limit)d characters.")
                % {"name": image.name, "limit": limits.alt_text_limit}
            )
    return problems


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return _("%(n).1f MB") % {"n": size / (1024 * 1024)}
    return _("%(n)d kB") % {"n": max(1, round(size / 1024))}


def _segments(part: str, network: str) -> list[Segment]:
    """The part cut into plain runs and the entities the network will link (highlighted)."""
    segments: list[Segment] = []
    position = 0
    for entity in text_rules.entities(part, network):  # type: ignore[arg-type]
        if entity.start > position:
            segments.append(Segment(part[position : entity.start]))
        segments.append(Segment(part[entity.start : entity.end], entity.kind))
        position = entity.end
    if position < len(part):
        segments.append(Segment(part[position:]))
    return segments
