"""Relays: create, change, pause; the poll (a step of the job engine); the dry run.

A poll is one bounded step: read what changed at the source (conditional, capped), record every
new item once with what becomes of it (one transaction, with the source's new state), then hand
the waiting items to publishing as pacing allows. Handing over is idempotent: the post's origin
`relay:<id>:<key>` is unique in the organisation, so a crash between creating the post, queueing
it and marking the item finds the same post again and carries on; publishing then sends it once
per target with keys chosen before the call. Nothing is kept in a worker's memory.

The kill switches (a relay's pause, the organisation's "pause all") are read before the source
and again before each item is handed over: pressing one during a batch stops it there.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from envol.feeds.items import Polled, SourceError, SourceImage, SourceItem
from envol.jobs.kinds import Outcome, Step, later, to
from envol.jobs.runner import run_to_end, step
from envol.jobs.transitions import move
from envol.orgs.models import ConnectedAccount, Membership, Organisation, Role
from envol.orgs.services import OrgError, audit
from envol.publishing import services as publishing
from envol.publishing.models import Post, Publication
from envol.publishing.workflow import submit_for_review
from envol.relays import echoes, pacing, rules, sources
from envol.relays.models import (
    Outcome as ItemOutcome,
)
from envol.relays.models import (
    Relay,
    RelayItem,
    RelayState,
    RelaySwitch,
    RelayTarget,
    SourceKind,
)

log = logging.getLogger(__name__)

FAILING_AFTER = timedelta(days=1)
SETTLE = timedelta(seconds=5)  # a post to the source's own account is being sent: wait for it
ORIGIN_PREFIX = "relay:"
MAX_ALT = 1500  # Mastodon's description limit, the lowest of the targets
TARGET_NETWORKS = ("bluesky", "mastodon")


class RelayError(OrgError):
    """A problem the person can act on (a source that cannot be read, a wrong target…)."""


# --- creating and changing ---------------------------------------------------------------------


def explain(exc: SourceError) -> str:
    """A source's failure in the member's language (the source's own words after it)."""
    reasons = {
        "refused": _("envol may not reach this address (a private or local address)."),
        "timeout": _("The source did not answer in time."),
        "too_large": _("The source's answer is too large."),
        "http_status": _("The source answered with an error."),
        "unreadable": _("This is not a feed or an account envol can read."),
        "not_found": _("This account or feed could not be found."),
        "redirects": _("The source redirects too many times."),
        "connection": _("The source could not be reached."),
    }
    return f"{reasons.get(exc.code, _('The source could not be read.'))} ({exc})"


def build(
    org: Organisation,
    kind: str,
    source: str,
    targets: Sequence[tuple[ConnectedAccount, str]],
    *,
    actor: Any = None,
    reader: Any = None,
    resolved: tuple[dict[str, Any], str] | None = None,
    **options: Any,
) -> tuple[Relay, list[RelayTarget]]:
    """An unsaved relay and its targets, its source resolved (read once, unless `resolved`
    gives its state and name: the demo, whose feed is served once the server runs): what
    `create` saves and what `relay add --dry-run` tries."""
    if kind not in SourceKind.values:
        raise RelayError(_("Unknown source: %(kind)s.") % {"kind": kind})
    if not targets:
        raise RelayError(_("Choose at least one account to publish to."))
    for account, _template in targets:
        if account.organisation_id != org.pk or account.network not in TARGET_NETWORKS:
            raise RelayError(
                _("%(account)s cannot receive this organisation's relays.") % {"account": account}
            )
    try:
        state, name = resolved or sources.resolve(kind, source, reader or sources.client())
    except SourceError as exc:
        raise RelayError(explain(exc)) from None
    if set(echoes.echoes_for(kind, state).account_ids) & {a.pk for a, _t in targets}:
        raise RelayError(_("The source is one of the accounts it would publish to."))
    relay = Relay(
        organisation=org,
        source_kind=kind,
        source=source.strip(),
        source_state=state,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        **options,
    )
    relay.name = (options.get("name") or name)[:200]
    return relay, [RelayTarget(account=a, template=t) for a, t in targets]


def create(
    org: Organisation,
    kind: str,
    source: str,
    targets: Sequence[tuple[ConnectedAccount, str]],
    *,
    actor: Any = None,
    reader: Any = None,
    resolved: tuple[dict[str, Any], str] | None = None,
    **options: Any,
) -> Relay:
    """A new relay, polling at once: its first poll takes the baseline (only new items) or
    relays the last `backfill` items."""
    relay, relay_targets = build(
        org, kind, source, targets, actor=actor, reader=reader, resolved=resolved, **options
    )
    with transaction.atomic():
        relay.save()
        for target in relay_targets:
            target.relay = relay
        RelayTarget.objects.bulk_create(relay_targets)
        audit(
            "relay.create",
            organisation=org,
            actor=actor,
            obj=relay,
            source=f"{kind}:{relay.source}",
            targets=[t.account.handle for t in relay_targets],
        )
    return relay


RULE_FIELDS = (
    "name",
    "include_tags",
    "exclude_tags",
    "include_words",
    "exclude_words",
    "skip_replies",
    "reposts",
    "lang",
    "warning_rule",
    "warning_text",
    "relay_images",
    "link_cards",
    "max_per_hour",
    "quiet_start",
    "quiet_end",
    "max_age_hours",
    "interval_minutes",
    "approval",
)


def update_rules(
    relay: Relay, values: dict[str, Any], templates: dict[int, str], actor: Any = None
) -> Relay:
    """Change rules and pacing, and each target's template (by account pk)."""
    changed = {name: values[name] for name in RULE_FIELDS if name in values}
    with transaction.atomic():
        if changed:
            Relay.objects.filter(pk=relay.pk).update(**changed)
        for target in relay.targets.all():
            if target.account_id in templates:
                RelayTarget.objects.filter(pk=target.pk).update(
                    template=templates[target.account_id]
                )
        audit("relay.rules", organisation=relay.organisation, actor=actor, obj=relay)
    relay.refresh_from_db()
    return relay


def move_source(
    relay: Relay, source: str, *, actor: Any = None, reader: Any = None, now: datetime | None = None
) -> Relay:
    """The source moved (a feed's new address, an account on another server): the relay keeps
    every key it has seen, and its next poll records what the new address already shows
    without relaying it (only items published after the move go out)."""
    try:
        state, _name = sources.resolve(relay.source_kind, source, reader or sources.client())
    except SourceError as exc:
        raise RelayError(explain(exc)) from None
    moment = now or timezone.now()
    Relay.objects.filter(pk=relay.pk).update(
        source=source.strip(), source_state=state, moved_at=moment, due_at=moment
    )
    audit(
        "relay.move",
        organisation=relay.organisation,
        actor=actor,
        obj=relay,
        old=relay.source,
        new=source.strip(),
    )
    relay.refresh_from_db()
    return relay


def pause(relay: Relay, actor: Any = None) -> bool:
    return relay.can_move_to(RelayState.PAUSED) and move(relay, RelayState.PAUSED, actor=actor)


def resume(relay: Relay, actor: Any = None) -> bool:
    return (
        relay.can_move_to(RelayState.ACTIVE)
        and relay.state == RelayState.PAUSED
        and move(relay, RelayState.ACTIVE, actor=actor)
    )


def poll_soon(relay: Relay, now: datetime | None = None) -> None:
    """Poll at the runner's next round (the "poll now" button; `relay run`)."""
    Relay.objects.filter(pk=relay.pk, state__in=relay.machine.runnable).update(
        due_at=now or timezone.now()
    )


def switch_of(org: Organisation) -> RelaySwitch:
    found, _created = RelaySwitch.objects.get_or_create(organisation=org)
    return found


def paused_all(org_id: int) -> bool:
    return RelaySwitch.objects.filter(organisation_id=org_id, paused=True).exists()


def set_paused_all(org: Organisation, paused: bool, actor: Any = None) -> None:
    """The organisation's kill switch: no relay of it reads or publishes while it is on."""
    RelaySwitch.objects.update_or_create(
        organisation=org,
        defaults={
            "paused": paused,
            "changed_at": timezone.now(),
            "changed_by": actor if getattr(actor, "is_authenticated", False) else None,
        },
    )
    audit("relay.pause_all" if paused else "relay.resume_all", organisation=org, actor=actor)


# --- the poll: a step of the job engine ----------------------------------------------------------


def poll_step(relay: Relay, step: Step) -> Outcome:
    """One poll: read the source, record the new items, hand over what pacing allows."""
    now = step.now
    if paused_all(relay.organisation_id):
        return later(pacing.next_poll(relay, now))
    reader = sources.client(step.context.get("transport"))
    mirrors = echoes.echoes_for(relay.source_kind, relay.source_state)
    if mirrors.unsettled():
        return later(now + SETTLE)
    try:
        polled = sources.poll(
            relay.source_kind, relay.source_state, reader, reposts=relay.reposts == "link"
        )
    except SourceError as exc:
        return _failed(relay, exc, now)
    # Nothing changed at the source (a 304, the same revision): nothing to record, only the
    # poll's time, written with the outcome in the runner's one UPDATE.
    fields: dict[str, Any] = {"last_poll_at": now, "last_success_at": now}
    unchanged = not polled.changed and polled.state == relay.source_state
    if not unchanged or relay.primed_at is None or relay.moved_at or relay.error_count:
        record(relay, polled, mirrors.of(polled.items), now)
        fields = {}
    ready_at = release(relay, now, reader)
    when = pacing.next_poll(relay, now)
    if ready_at is not None:
        when = min(when, ready_at)
    if relay.state == RelayState.FAILING:
        return to(RelayState.ACTIVE, at=when, fields=fields, recovered=True)
    return Outcome(due=when, fields=fields)


def _failed(relay: Relay, exc: SourceError, now: datetime) -> Outcome:
    """Back off; a source failing for a day marks the relay failing (the admins are told)."""
    failures = relay.error_count + 1
    since = relay.error_since or now
    fields = {
        "error_count": failures,
        "error_since": since,
        "source_error": str(exc)[:1000],
        "last_poll_at": now,
    }
    when = pacing.backoff(relay, failures, now)
    if relay.state == RelayState.ACTIVE and now - since >= FAILING_AFTER:
        return to(RelayState.FAILING, at=when, fields=fields, error=str(exc))
    return Outcome(due=when, fields=fields)


@dataclass(frozen=True)
class Decision:
    item: SourceItem
    outcome: str
    reason: str = ""
    backfill: bool = False


def decide(
    relay: Relay, new: Sequence[SourceItem], echo_keys: set[str], now: datetime
) -> list[Decision]:
    """What becomes of each new item (oldest first): skipped with a reason, or waiting to be
    handed over. A first poll keeps only the newest `backfill` items that pass the rules; the
    first poll after a move, only items published after it."""
    first_poll = relay.primed_at is None
    decided: list[Decision] = []
    for item in new:
        reason = "echo" if item.key in echo_keys else rules.skip_reason(relay, item)
        if not reason and not first_poll:
            if relay.moved_at and (
                item.published_at is None or item.published_at <= relay.moved_at
            ):
                reason = "moved"
            elif rules.too_old(relay, item.published_at, now):
                reason = "too_old"
        decided.append(
            Decision(item, ItemOutcome.SKIPPED if reason else ItemOutcome.WAITING, reason)
        )
    if first_poll:
        passing = [i for i, d in enumerate(decided) if d.outcome == ItemOutcome.WAITING]
        kept = set(passing[len(passing) - relay.backfill :]) if relay.backfill else set()
        decided = [
            Decision(d.item, d.outcome, d.reason, backfill=True)
            if i in kept
            else Decision(d.item, ItemOutcome.SKIPPED, d.reason or "baseline")
            for i, d in enumerate(decided)
        ]
    return decided


def record(relay: Relay, polled: Polled, echo_keys: set[str], now: datetime) -> list[Decision]:
    """Store every new item once with its decision, and the source's new state, together."""
    with transaction.atomic():
        keys = [item.key for item in polled.items]
        seen = set(
            RelayItem.objects.filter(relay=relay, key__in=keys).values_list("key", flat=True)
        )
        unique = {item.key: item for item in polled.items}  # a feed may repeat an item
        new = [item for key, item in unique.items() if key not in seen]
        decided = decide(relay, new, echo_keys, now)
        RelayItem.objects.bulk_create([_row(relay, d, now) for d in decided], ignore_conflicts=True)
        Relay.objects.filter(pk=relay.pk).update(
            source_state=polled.state,
            primed_at=relay.primed_at or now,
            moved_at=None,
            last_poll_at=now,
            last_success_at=now,
            error_since=None,
            error_count=0,
            source_error="",
        )
    return decided


def _row(relay: Relay, decision: Decision, now: datetime) -> RelayItem:
    item = decision.item
    return RelayItem(
        relay=relay,
        key=item.key,
        uri=item.uri[:500],
        url=item.url[:1000],
        title=item.title[:300],
        excerpt=(item.text or item.repost_of)[:500],
        published_at=item.published_at,
        seen_at=now,
        outcome=decision.outcome,
        reason=decision.reason,
        backfill=decision.backfill,
        data=rules.item_data(item) if decision.outcome == ItemOutcome.WAITING else {},
    )


def release(relay: Relay, now: datetime, reader: Any) -> datetime | None:
    """Hand the waiting items over, oldest first, as quiet hours and the hourly caps allow;
    when the next ones may go (None: nothing waits). Items that grew too old while waiting are
    skipped, not dumped (no burst after an outage); a backfill chosen at creation is exempt."""
    waiting = RelayItem.objects.filter(relay=relay, outcome=ItemOutcome.WAITING)
    if not waiting.exists():  # most polls: one query
        return None
    waiting.filter(
        backfill=False, published_at__lt=now - timedelta(hours=relay.max_age_hours)
    ).update(outcome=ItemOutcome.SKIPPED, reason="too_old", data={})
    if not waiting.exists():
        return None
    quiet = pacing.quiet_until(relay, now)
    if quiet is not None:
        return quiet
    targets = list(relay.targets.select_related("account"))
    left, frees_at = pacing.room(relay, [t.account_id for t in targets], now)
    oldest_first = waiting.order_by(F("published_at").asc(nulls_last=True), "pk")
    for item in list(oldest_first[:left]):
        if not still_running(relay):
            return None
        hand_over(relay, item, targets, now, reader)
    if waiting.exists():
        return frees_at or now + pacing.HOUR  # this hour's places are taken
    return None


def still_running(relay: Relay) -> bool:
    """Neither this relay nor the organisation's relays were paused meanwhile."""
    running = Relay.objects.filter(pk=relay.pk, state__in=relay.machine.runnable).exists()
    return running and not paused_all(relay.organisation_id)


def origin_for(relay_id: int, key: str) -> str:
    origin = f"{ORIGIN_PREFIX}{relay_id}:{key}"
    if len(origin) <= 200:
        return origin
    return f"{ORIGIN_PREFIX}{relay_id}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


@dataclass
class Prepared:
    """An item made ready for publishing: each target's text and the images."""

    texts: dict[int, str]
    warning: str
    lang: str
    images: list[publishing.ImageSpec] = field(default_factory=list)
    alt_from_title: bool = False
    images_dropped: int = 0
    link_url: str = ""
    link_card: dict[str, str] = field(default_factory=dict)


def prepare(
    relay: Relay,
    data: dict[str, Any],
    targets: Sequence[RelayTarget],
    reader: Any,
    *,
    download: bool = True,
    capabilities: dict[int, Any] | None = None,
) -> Prepared:
    warning = {"source": str(data.get("warning", "")), "always": relay.warning_text}.get(
        relay.warning_rule, ""
    )
    texts = {}
    for target in targets:
        account = target.account
        account_rules = publishing.rules_for(account, (capabilities or {}).get(account.pk))
        bluesky = account.network == "bluesky"
        texts[account.pk] = rules.compose(
            rules.template_for(relay, target),
            data,
            relay.name,
            account_rules,
            overhead=publishing.network_text("", warning, account) if bluesky and warning else "",
            spoiler="" if bluesky else warning,
        )
    prepared = Prepared(texts, warning, relay.lang or str(data.get("lang", ""))[:10] or "fr")
    if relay.relay_images and download:
        _images(relay, data, reader, prepared)
    if relay.link_cards and data.get("link") and not prepared.images:
        prepared.link_url = str(data["link"])[:1000]
        card = data.get("card") or {}
        title = str(card.get("title") or data.get("title") or "").strip()
        if title:
            prepared.link_card = {
                "title": title[:300],
                "description": str(card.get("description", ""))[:1000],
            }
    return prepared


def _images(relay: Relay, data: dict[str, Any], reader: Any, prepared: Prepared) -> None:
    """Each image downloaded (capped) with its alt text; none: the title stands in, flagged."""
    folder = sources.media_folder(relay.pk)
    for image in list(data.get("images") or [])[:4]:
        try:
            path = sources.download_image(reader, SourceImage(str(image["url"])), folder)
        except SourceError as exc:
            log.info("relay %s: image %s not relayed: %s", relay.pk, image.get("url"), exc)
            prepared.images_dropped += 1
            continue
        alt = str(image.get("alt", "")).strip()
        if not alt:
            alt = str(data.get("title") or data.get("text") or relay.name).strip()
            prepared.alt_from_title = True
        prepared.images.append(publishing.ImageSpec(path, alt[:MAX_ALT]))


def hand_over(
    relay: Relay, item: RelayItem, targets: Sequence[RelayTarget], now: datetime, reader: Any
) -> None:
    """Make the item's post (once: its origin) and give it to publishing or to the review
    queue, then mark the item. Each step may be repeated after a crash with the same result."""
    prepared = prepare(relay, item.data, targets, reader)
    accounts = [t.account for t in targets]
    try:
        post = publishing.create_post(
            relay.organisation,
            prepared.texts[accounts[0].pk],
            accounts,
            content_warning=prepared.warning,
            lang=prepared.lang,
            images=prepared.images,
            origin=origin_for(relay.pk, item.key),
            texts=prepared.texts,
            link_url=prepared.link_url,
            link_card=prepared.link_card,
        )
    except publishing.PublishingError as exc:
        RelayItem.objects.filter(pk=item.pk, outcome=ItemOutcome.WAITING).update(
            outcome=ItemOutcome.SKIPPED, reason="failed", data={"error": str(exc)[:500]}
        )
        return
    outcome = _give_to_publishing(relay, post)
    RelayItem.objects.filter(pk=item.pk, outcome=ItemOutcome.WAITING).update(
        outcome=outcome,
        post=post,
        relayed_at=now,
        alt_from_title=prepared.alt_from_title,
        images_dropped=prepared.images_dropped,
    )


def _give_to_publishing(relay: Relay, post: Post) -> str:
    """Publish at once or, in approval mode, put the post in the desk's review queue (envol
    itself is the author: no member approves their own relay)."""
    if relay.approval == "review":
        if post.state == Post.State.DRAFT:
            submit_for_review(post, None)
        return ItemOutcome.REVIEW
    publishing.queue(post)
    return ItemOutcome.RELAYED


def on_transition(relay: Relay, previous: str, actor: Any, detail: Mapping[str, Any]) -> None:
    audit(
        f"relay.{relay.state}",
        organisation=relay.organisation,
        actor=actor,
        obj=relay,
        previous=previous,
        error=str(detail.get("error", ""))[:500],
    )
    if relay.state == RelayState.FAILING:
        tell_admins(relay, str(detail.get("error", relay.source_error)))


def tell_admins(relay: Relay, error: str) -> int:
    """Email the organisation's administrators that a relay's source fails; how many."""
    org = relay.organisation
    emails = sorted(
        {
            m.user.email
            for m in Membership.objects.filter(organisation=org, role=Role.ADMIN).select_related(
                "user"
            )
            if m.user.email
        }
    )
    if not emails:
        return 0
    link = settings.PUBLIC_URL + reverse("relays:detail", kwargs={"org": org.slug, "pk": relay.pk})
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Relay “%(name)s” is failing") % {"name": relay.name}
        body = _(
            "The source of the relay “%(name)s” (%(source)s) has failed for a day: nothing was "
            "relayed since. envol keeps trying, less often.\n\nLast error: %(error)s\n\n"
            "See the relay: %(link)s"
        ) % {"name": relay.name, "source": relay.source, "error": error, "link": link}
    send_mail(subject, body, None, emails, fail_silently=True)
    Relay.objects.filter(pk=relay.pk).update(alerted_at=timezone.now())
    return len(emails)


class RelayBusy(Exception):
    """A worker holds the relay right now (`relay run` waits for no one)."""


def run_now(relay: Relay, now: datetime | None = None) -> tuple[int, int, int, int]:
    """`envol relay run`: one poll here (the engine's step: never alongside a worker's), then
    the posts it handed over published here. (new items, handed over, waiting, published)."""
    moment = now or timezone.now()
    before = set(relay.items.values_list("pk", flat=True))
    handed_before = set(relay.items.exclude(post=None).values_list("pk", flat=True))
    poll_soon(relay, moment)
    if step(relay, clock=lambda: moment).busy:
        raise RelayBusy
    items = relay.items.all()
    handed = items.exclude(post=None).exclude(pk__in=handed_before)
    posts = Post.objects.filter(
        pk__in=handed.values_list("post_id", flat=True), state=Post.State.PUBLISHING
    )
    published = [run_to_end(post) for post in posts]
    return (
        items.exclude(pk__in=before).count(),
        handed.count(),
        items.filter(outcome=ItemOutcome.WAITING).count(),
        sum(1 for post in published if post.state == Post.State.DONE),
    )


# --- the dry run ---------------------------------------------------------------------------------


@dataclass
class Planned:
    """One item the next poll would publish, as each target would get it."""

    title: str
    variants: list[publishing.Variant]


@dataclass
class DryRun:
    read: int = 0
    new: int = 0
    changed: bool = True
    skipped: Counter[str] = field(default_factory=Counter)
    planned: list[Planned] = field(default_factory=list)
    waiting_after: int = 0  # would wait for the hourly cap or the quiet hours
    quiet_until: datetime | None = None


def dry_run(
    relay: Relay,
    targets: Sequence[RelayTarget],
    *,
    now: datetime | None = None,
    reader: Any = None,
) -> DryRun:
    """What the next poll would publish, per target, without writing anything (a relay not
    saved yet: its first poll)."""
    now = now or timezone.now()
    reader = reader or sources.client()
    try:
        polled = sources.poll(
            relay.source_kind, relay.source_state, reader, reposts=relay.reposts == "link"
        )
    except SourceError as exc:
        raise RelayError(explain(exc)) from None
    result = DryRun(read=len(polled.items), changed=polled.changed)
    seen: set[str] = set()
    waiting: list[tuple[str, dict[str, Any]]] = []
    if relay.pk:
        keys = [i.key for i in polled.items]
        seen = set(
            RelayItem.objects.filter(relay=relay, key__in=keys).values_list("key", flat=True)
        )
        waiting = [
            (w.title or w.excerpt, w.data)
            for w in RelayItem.objects.filter(relay=relay, outcome=ItemOutcome.WAITING)
        ]
    new = [item for item in polled.items if item.key not in seen]
    result.new = len(new)
    mirrors = echoes.echoes_for(relay.source_kind, relay.source_state)
    for decision in decide(relay, new, mirrors.of(new), now):
        if decision.outcome == ItemOutcome.WAITING:
            waiting.append(
                (decision.item.title or decision.item.text, rules.item_data(decision.item))
            )
        else:
            result.skipped[decision.reason] += 1
    result.quiet_until = pacing.quiet_until(relay, now)
    left = 0 if result.quiet_until else relay.max_per_hour
    if relay.pk and left:
        left, _frees = pacing.room(relay, [t.account_id for t in targets], now)
    known = publishing.instance_capabilities([t.account for t in targets])
    for title, data in waiting[:left]:
        prepared = prepare(relay, data, targets, reader, download=False, capabilities=known)
        variants = publishing.plan(
            next(iter(prepared.texts.values())),
            [t.account for t in targets],
            content_warning=prepared.warning,
            capabilities=known,
            texts=prepared.texts,
        )
        result.planned.append(Planned(title[:120], variants))
    result.waiting_after = max(len(waiting) - left, 0)
    return result


# --- what the pages show -------------------------------------------------------------------------


@dataclass(frozen=True)
class RelayRow:
    relay: Relay
    targets: list[ConnectedAccount]
    relayed_today: int
    waiting: int


def relays_of(org: Organisation, now: datetime | None = None) -> list[RelayRow]:
    """The organisation's relays with their counts (a few queries, whatever their number)."""
    relays = list(Relay.objects.filter(organisation=org).prefetch_related("targets__account"))
    midnight = timezone.localtime(now or timezone.now()).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    counts = (
        RelayItem.objects.filter(relay__organisation=org)
        .values("relay_id")
        .annotate(
            today=Count("pk", filter=Q(outcome=ItemOutcome.RELAYED, relayed_at__gte=midnight)),
            waiting=Count("pk", filter=Q(outcome=ItemOutcome.WAITING)),
        )
    )
    by_relay = {row["relay_id"]: (int(row["today"]), int(row["waiting"])) for row in counts}
    return [
        RelayRow(relay, [t.account for t in relay.targets.all()], *by_relay.get(relay.pk, (0, 0)))
        for relay in relays
    ]


@dataclass(frozen=True)
class Summary:
    """The dashboard's panel: how many relays, running or failing, and the kill switch."""

    total: int
    running: int
    failing: int
    paused_all: bool


def summary(org: Organisation) -> Summary:
    states = Counter(Relay.objects.filter(organisation=org).values_list("state", flat=True))
    return Summary(
        total=sum(states.values()),
        running=states[RelayState.ACTIVE] + states[RelayState.FAILING],
        failing=states[RelayState.FAILING],
        paused_all=paused_all(org.pk),
    )


@dataclass(frozen=True)
class Copy:
    account: ConnectedAccount
    state: str
    url: str


@dataclass(frozen=True)
class HistoryRow:
    item: RelayItem
    copies: list[Copy]
    reason: str  # why it was skipped, in words


def history(relay: Relay, limit: int = 100) -> list[HistoryRow]:
    """The relay's latest items, each with its post on every target (first part's link)."""
    items = list(relay.items.select_related("post")[:limit])
    posts = [i.post_id for i in items if i.post_id]
    copies: dict[int, list[Copy]] = {}
    rows = (
        Publication.objects.filter(post_id__in=posts, part_index=0)
        .select_related("account")
        .order_by("account__network", "account__handle")
    )
    for row in rows:
        copies.setdefault(row.post_id, []).append(
            Copy(row.account, row.get_state_display(), row.public_url)
        )
    return [
        HistoryRow(i, copies.get(i.post_id or 0, []), reason_label(i.reason) if i.reason else "")
        for i in items
    ]


def reason_label(code: str) -> str:
    return str(rules.REASONS.get(code, code))


def connectable_accounts(org: Organisation) -> list[ConnectedAccount]:
    return list(org.accounts.filter(network__in=TARGET_NETWORKS).order_by("network", "handle"))
