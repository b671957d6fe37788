"""The post-history migration: an import's X posts to Bluesky, backdated, exactly once.

Why every record is built when the job is created: a reply names its parent by URI *and* CID, and
a thread is written in one `applyWrites` (one commit: whole or not at all). So each record's key
is chosen from the data (`tid_at` of the post's original date: the same key on every attempt, and
keys sort in the original order) and its CID computed before anything exists (`networks.cid`).
A step then only sends stored records: items are committed `sent` before the call, and a batch a
killed worker left `sent` is looked up by its keys (`jobs.batches.landed`) — found, it is done;
missing, it is sent again with the same keys and records. Nothing is ever written twice.

The budget is the account's (`jobs.budgets`, action "write": 3 points a create), shared with a
follow migration of the same account; a spent budget or a 429 parks the job in
`waiting_rate_limit` until the window resets. Mastodon cannot backdate (mastodon#10639): there
is no Mastodon history migration, the archive site is the answer there.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from envol.bulk import update_rows
from envol.history.models import (
    MOVE_ACTIVE,
    OPEN_POST_STATES,
    HistoryMigration,
    HistoryPost,
    MoveState,
    PostState,
)
from envol.jobs.batches import landed
from envol.jobs.budgets import AccountBudgets, reservation_key
from envol.jobs.kinds import Outcome, Step, again, retry, to
from envol.jobs.pace import Limit, NetworkPace, seconds_to_send
from envol.jobs.transitions import change_state
from envol.networks.base import AuthError, InvalidContent, NetworkError, RateLimited
from envol.networks.bluesky import (
    CAPABILITIES,
    MAX_WRITES_PER_CALL,
    POST,
    BlueskyNetwork,
    ImageBlob,
    StrongRef,
    VideoBlob,
    post_langs,
    post_record,
    tid_at,
)
from envol.networks.cid import blob_cid, blob_ref, image_mime, record_cid, video_mime
from envol.networks.ratelimit import BLUESKY_WRITE_COSTS, BLUESKY_WRITE_POLICIES
from envol.networks.richtext import MentionTarget, bluesky_parts
from envol.networks.text import TextTooLong
from envol.orgs.accounts import AccountError, explain, network_for
from envol.orgs.models import ConnectedAccount, Organisation
from envol.orgs.services import OrgError, audit
from envol.portability.models import ArchivedMedia, ArchivedPost, ArchiveImport, SourceAccount

COST = BLUESKY_WRITE_COSTS["create"]
POLICIES = {"write": BLUESKY_WRITE_POLICIES}  # the follow migration's: one budget per account
PACE = NetworkPace(
    limits=(Limit(BLUESKY_WRITE_POLICIES, COST),),
    max_batch=MAX_WRITES_PER_CALL,
    seconds_per_batch=0.3,  # one applyWrites of 200 on a PDS (notes/bluesky-pds.md)
)
ITEM_FIELDS = ["state", "remote_uri", "attempts", "reason", "last_error"]
CREATE_CHUNK = 1000
MAX_IMAGE_BYTES = 1_000_000  # app.bsky.embed.images: an image blob of at most 1,000,000 bytes
# app.bsky.embed.video takes video/mp4 up to 300 MB, but the PDS refuses any upload over its
# blobUploadLimit (PDS_BLOB_UPLOAD_LIMIT, 5 MiB by default): a longer video stays on the site.
MAX_VIDEO_BYTES = 5 * 1024 * 1024
VIDEO_KINDS = {"video": False, "animated_gif": True}  # X's media type → played as a GIF


class HistoryMoveError(OrgError):
    """A history migration cannot be planned or changed as asked; the message says what to do."""


# What a person's pause, resume or cancel is told when it cannot be done (`_change`).
CANNOT_CHANGE = gettext_lazy("This migration is %(state)s: it cannot be changed that way.")
CHANGING = gettext_lazy("The migration is changing right now: try again.")


# --- what goes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """What to take from the archive: own posts and self-threads by default."""

    since: date | None = None
    until: date | None = None  # inclusive
    replies: bool = False  # replies to others
    retweets: bool = False
    hashtag: str = ""

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Choice:
        def day(value: Any) -> date | None:
            return date.fromisoformat(str(value)) if value else None

        return cls(
            day(options.get("from")),
            day(options.get("to")),
            bool(options.get("replies")),
            bool(options.get("retweets")),
            str(options.get("hashtag") or "").lstrip("#").lower(),
        )

    def as_options(self) -> dict[str, Any]:
        return {
            "from": self.since.isoformat() if self.since else "",
            "to": self.until.isoformat() if self.until else "",
            "replies": self.replies,
            "retweets": self.retweets,
            "hashtag": self.hashtag,
        }


def chosen_posts(source: SourceAccount, choice: Choice) -> Iterator[ArchivedPost]:
    """The posts that go, oldest first (a thread's parent before its replies)."""
    rows: QuerySet[ArchivedPost] = ArchivedPost.objects.filter(source_account=source)
    if not choice.retweets:
        rows = rows.filter(is_retweet=False)
    if choice.since:
        rows = rows.filter(created_at__date__gte=choice.since)
    if choice.until:
        rows = rows.filter(created_at__date__lte=choice.until)
    for post in rows.order_by("created_at", "remote_id").iterator(chunk_size=2000):
        is_reply_to_other = bool(post.reply_to_post_id) and (
            post.reply_to_user_id != source.remote_id
        )
        if is_reply_to_other and not choice.replies:
            continue
        if choice.hashtag and choice.hashtag not in {str(t).lower() for t in post.hashtags}:
            continue
        yield post


# --- the records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    x_id: str
    part: int
    created: datetime
    key: str
    cid: str
    record: dict[str, Any]
    uploads: list[dict[str, str]]


@dataclass
class _Refs:
    first: StrongRef
    last: StrongRef
    root: StrongRef


@dataclass
class Tally:
    posts: int = 0
    records: int = 0
    long_posts: int = 0  # split into a self-thread
    replies: int = 0  # rebuilt as replies (own threads)
    quotes: int = 0
    images: int = 0  # uploaded with the post
    images_without_alt: int = 0  # flagged: the team should write their alt text
    videos: int = 0  # videos and GIFs uploaded with the post (MP4 within the PDS's limit)
    media_not_carried: int = 0  # files not kept by the import, too large, a second video
    skipped: int = 0  # nothing Bluesky can show (a media-only post), or one word too long


@dataclass(frozen=True)
class Upload:
    path: str  # under MEDIA_ROOT
    mime: str
    image: ImageBlob


@dataclass(frozen=True)
class VideoUpload:
    path: str  # under MEDIA_ROOT
    video: VideoBlob


@dataclass
class PostMedia:
    uploads: dict[str, list[Upload]] = field(default_factory=dict)  # X status id → images
    videos: dict[str, VideoUpload] = field(default_factory=dict)  # X status id → its video
    not_carried: Counter[str] = field(default_factory=Counter)  # X status id → media left

    def leave(self, x_id: str) -> None:
        self.not_carried[x_id] += 1


def _kept_file(root: Path, stored_path: str, limit: int) -> bytes:
    """The bytes of a file the import kept under MEDIA_ROOT, b'' when absent or over `limit`
    (never read whole: a 2 GB video is not loaded to learn it is too large)."""
    path = (root / stored_path).resolve() if stored_path else None
    if path is None or not path.is_relative_to(root):
        return b""
    try:
        if path.stat().st_size > limit:
            return b""
        return path.read_bytes()
    except OSError:
        return b""


def post_media(source: SourceAccount) -> PostMedia:
    """X status id → its images, or its video or GIF (MP4), as Bluesky will show them: blob
    references computed from the kept files, alt text from the archive. Files the import did
    not keep and files over the PDS's limits are counted, not carried: the archive site keeps
    them. A post holds images or one video: a second video is left, images win."""
    root = Path(settings.MEDIA_ROOT).resolve()
    found = PostMedia()
    rows = ArchivedMedia.objects.filter(source_account=source).order_by(
        "post_remote_id", "position"
    )
    for media in rows.iterator(chunk_size=2000):
        x_id, alt = media.post_remote_id, media.alt_text[:2000]
        if media.kind in VIDEO_KINDS:
            data = _kept_file(root, media.stored_path, MAX_VIDEO_BYTES)
            if not video_mime(data) or x_id in found.videos:
                found.leave(x_id)
                continue
            video = VideoBlob(blob_ref(data, "video/mp4"), alt, gif=VIDEO_KINDS[media.kind])
            found.videos[x_id] = VideoUpload(media.stored_path, video)
            continue
        data = _kept_file(root, media.stored_path, MAX_IMAGE_BYTES)
        mime = image_mime(data) if media.kind == "photo" else ""
        if not mime:
            found.leave(x_id)
            continue
        upload = Upload(media.stored_path, mime, ImageBlob(blob_ref(data, mime), alt))
        found.uploads.setdefault(x_id, []).append(upload)
    for x_id in set(found.videos) & set(found.uploads):  # images win
        del found.videos[x_id]
        found.leave(x_id)
    return found


def quoted_status(url: str) -> str:
    """The X status id an X post URL names ('' when it is not one)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("mobile.")
    if host not in ("twitter.com", "x.com"):
        return ""
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) >= 3 and segments[1] in ("status", "statuses") and segments[2].isdigit():
        return segments[2]
    return ""


def record_key(post: ArchivedPost, part: int, used: set[str]) -> str:
    """The post's key: its original moment, µs apart per part, with a clock id from its X id
    (so two posts of the same second differ); the same post gets the same key every time."""
    moment = post.created_at
    micros = int(moment.timestamp()) * 1_000_000 + moment.microsecond + part
    clock_id = (
        int(post.remote_id) if post.remote_id.isdigit() else zlib.crc32(post.remote_id.encode())
    )
    key = tid_at(micros, clock_id % 1024)
    while key in used:
        micros += 1
        key = tid_at(micros, clock_id % 1024)
    used.add(key)
    return key


def mention_targets(org: Organisation, archive: ArchiveImport) -> dict[str, MentionTarget]:
    """X user id → the Bluesky account of its accepted match (nothing else becomes a mention)."""
    from envol.crosswalk.services import accepted_matches

    return {
        str(m["x_id"]): MentionTarget(m["bluesky_did"], m["bluesky_handle"])
        for m in accepted_matches(org, archive.pk)
        if m["bluesky_did"]
    }


def migrated_refs(account: ConnectedAccount) -> dict[str, _Refs]:
    """X status id → where the account's earlier history migrations put it (first and last
    part, thread root): a later migration (another date range…) quotes and answers those posts
    as Bluesky posts instead of leaving a dead X link or a broken thread."""
    refs: dict[str, _Refs] = {}
    rows = (
        HistoryPost.objects.filter(
            job__account=account, state__in=(PostState.DONE, PostState.ALREADY)
        )
        .order_by("x_id", "part")
        .values_list("x_id", "part", "record_key", "cid", "record__reply__root")
    )
    for x_id, part, key, cid, root in rows.iterator(chunk_size=2000):
        ref = StrongRef(f"at://{account.remote_id}/{POST}/{key}", cid)
        if part == 0:
            above = StrongRef(root["uri"], root["cid"]) if isinstance(root, Mapping) else ref
            refs[x_id] = _Refs(ref, ref, above)
        elif x_id in refs:
            refs[x_id].last = ref
    return refs


def build_records(
    posts: Iterable[ArchivedPost],
    did: str,
    matches: Mapping[str, MentionTarget],
    tally: Tally,
    media: PostMedia | None = None,
    migrated: Mapping[str, _Refs] | None = None,
) -> Iterator[Built]:
    """Every record of `posts` (oldest first), with its key and CID: threads as reply chains to
    the post they answered (its last part), long posts as self-threads, quotes of a post already
    in the list, or `migrated` earlier, as Bluesky quotes."""
    refs: dict[str, _Refs] = dict(migrated or {})
    used: set[str] = set()
    for post in posts:
        quoted = quoted_status(post.quoted_post_url)
        quote = refs[quoted].first if quoted in refs else None
        mentions = {
            str(m.get("username", "")).lower(): matches[str(m.get("id"))]
            for m in post.mentions
            if isinstance(m, Mapping) and str(m.get("id")) in matches
        }
        try:
            parts = bluesky_parts(
                post.text,
                mentions=mentions,
                drop_urls=[post.quoted_post_url] if quote else (),
            )
        except TextTooLong:
            tally.skipped += 1
            continue
        media = media or PostMedia()
        images = media.uploads.get(post.remote_id, [])[: CAPABILITIES.max_images]
        video = media.videos.get(post.remote_id)
        if not any(p.text.strip() for p in parts) and quote is None and not images and not video:
            tally.skipped += 1  # nothing left to show (a video only, a file not kept)
            continue
        tally.images += len(images)
        tally.videos += video is not None
        tally.media_not_carried += media.not_carried[post.remote_id]
        tally.images_without_alt += sum(1 for u in images if not u.image.alt.strip())
        above = refs.get(post.reply_to_post_id)
        parent, root = (above.last, above.root) if above else (None, None)
        tally.posts += 1
        tally.replies += above is not None
        tally.quotes += quote is not None
        tally.long_posts += len(parts) > 1
        first: StrongRef | None = None
        for number, part in enumerate(parts):
            key = record_key(post, number, used)
            record = post_record(
                part.text,
                part.facets,
                post.created_at,
                langs=post_langs(post.lang),
                root=root,
                parent=parent,
                quote=quote if number == 0 else None,
                images=[u.image for u in images] if number == 0 else (),
                video=video.video if video and number == 0 else None,
            )
            cid = record_cid(record)
            ref = StrongRef(f"at://{did}/{POST}/{key}", cid)
            first = first or ref
            root = root or ref
            parent = ref
            tally.records += 1
            uploads = [{"path": u.path, "mime": u.mime} for u in images]
            if video is not None:
                uploads.append({"path": video.path, "mime": "video/mp4"})
            uploads = uploads if number == 0 else []
            yield Built(post.remote_id, number, post.created_at, key, cid, record, uploads)
        assert first is not None and parent is not None and root is not None
        refs[post.remote_id] = _Refs(first, parent, root)


# --- the planner ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    posts: int
    records: int
    long_posts: int
    replies: int
    quotes: int
    images: int
    images_without_alt: int
    media_not_carried: int
    skipped: int
    videos: int
    alongside: int  # items the account's other jobs still send from the same budget
    seconds: float

    def as_json(self) -> dict[str, Any]:
        return {
            "posts": self.posts,
            "records": self.records,
            "long_posts": self.long_posts,
            "replies": self.replies,
            "quotes": self.quotes,
            "images": self.images,
            "images_without_alt": self.images_without_alt,
            "media_not_carried": self.media_not_carried,
            "skipped": self.skipped,
            "videos": self.videos,
            "alongside": self.alongside,
            "seconds": self.seconds,
        }


def _source(org: Organisation, import_id: int) -> tuple[ArchiveImport, SourceAccount]:
    archive = ArchiveImport.objects.filter(pk=import_id, organisation=org).first()
    if archive is None:
        raise HistoryMoveError(
            _("Archive import %(id)s does not exist in this organisation.") % {"id": import_id}
        )
    if archive.state != ArchiveImport.State.DONE or archive.source_account is None:
        raise HistoryMoveError(
            _("Import %(id)s is not finished: migrate the posts of a finished import.")
            % {"id": import_id}
        )
    return archive, archive.source_account


def _check_account(org: Organisation, account: ConnectedAccount) -> None:
    if account.organisation_id != org.pk or account.network != "bluesky":
        raise HistoryMoveError(
            _("The account %(handle)s is not this organisation's Bluesky account.")
            % {"handle": account.handle}
        )


def sharing_budget(account: ConnectedAccount, *, besides: int | None = None) -> int:
    """Items the account's other active jobs (a follow migration, another history migration)
    still have to write: they draw on the same budget."""
    from envol.migration.models import ACTIVE_STATES, MigrationItem

    follows = MigrationItem.objects.filter(
        job__account=account, job__state__in=ACTIVE_STATES, state__in=("pending", "sent")
    ).count()
    posts = (
        HistoryPost.objects.filter(
            job__account=account, job__state__in=MOVE_ACTIVE, state__in=OPEN_POST_STATES
        )
        .exclude(job_id=besides)
        .count()
    )
    return follows + posts


def plan(
    org: Organisation,
    import_id: int,
    account: ConnectedAccount,
    choice: Choice,
    *,
    spent: Mapping[str, Any] | None = None,
) -> Plan:
    """What a migration would send, and how long it takes within the account's budget
    (shared with its other jobs), before anything is sent. Reads only envol's database."""
    _check_account(org, account)
    archive, source = _source(org, import_id)
    tally = Tally()
    matches = mention_targets(org, archive)
    posts = chosen_posts(source, choice)
    for _built in build_records(
        posts, account.remote_id, matches, tally, post_media(source), migrated_refs(account)
    ):
        pass
    alongside = sharing_budget(account)
    if spent is None:  # the account's budget as its jobs left it (already spent this hour…)
        from envol.jobs.models import AccountBudget

        stored = AccountBudget.objects.filter(account_id=account.pk, action="write").first()
        spent = {"write": stored.windows} if stored and stored.windows else {}
    return Plan(
        tally.posts,
        tally.records,
        tally.long_posts,
        tally.replies,
        tally.quotes,
        tally.images,
        tally.images_without_alt,
        tally.media_not_carried,
        tally.skipped,
        tally.videos,
        alongside,
        seconds_to_send(
            tally.records,
            PACE,
            start=timezone.now() if spent else None,
            spent=spent,
            alongside=alongside,
        ),
    )


# --- jobs ---------------------------------------------------------------------------------------


@transaction.atomic
def create_job(
    org: Organisation,
    import_id: int,
    account: ConnectedAccount,
    choice: Choice,
    *,
    actor: Any = None,
    options: Mapping[str, Any] | None = None,
) -> HistoryMigration:
    """A pending job with every record built, keyed and hashed: the workers take it at once."""
    _check_account(org, account)
    archive, source = _source(org, import_id)
    tally = Tally()
    job = HistoryMigration.objects.create(
        organisation=org,
        archive_import=archive,
        account=account,
        options={**choice.as_options(), **(options or {})},
        created_by=actor if getattr(actor, "pk", None) else None,
        state=MoveState.PAUSED,  # not runnable until its items are stored
    )
    chunk: list[HistoryPost] = []
    matches = mention_targets(org, archive)
    posts = chosen_posts(source, choice)
    media, migrated = post_media(source), migrated_refs(account)
    for built in build_records(posts, account.remote_id, matches, tally, media, migrated):
        chunk.append(
            HistoryPost(
                job=job,
                x_id=built.x_id,
                part=built.part,
                created_remote=built.created,
                record_key=built.key,
                cid=built.cid,
                record=built.record,
                uploads=built.uploads,
            )
        )
        if len(chunk) >= CREATE_CHUNK:
            HistoryPost.objects.bulk_create(chunk)
            chunk = []
    HistoryPost.objects.bulk_create(chunk)
    if not tally.records:
        raise HistoryMoveError(_("No post to migrate with these options."))
    HistoryMigration.objects.filter(pk=job.pk).update(
        state=MoveState.PENDING,
        due_at=timezone.now(),
        posts=tally.posts,
        total=tally.records,
        count_pending=tally.records,
        count_skipped=0,
    )
    job.refresh_from_db()
    audit(
        "history.migration_create",
        organisation=org,
        actor=actor,
        obj=job,
        posts=tally.posts,
        records=tally.records,
        skipped=tally.skipped,
    )
    return job


def pause(job: HistoryMigration, actor: Any = None) -> HistoryMigration:
    """Stop after the batch in flight."""
    _change(job, MoveState.PAUSED, actor)
    return job


def resume(job: HistoryMigration, actor: Any = None) -> HistoryMigration:
    """Paused (or failed, after reconnecting the account) → pending, back to the workers."""
    _change(job, MoveState.PENDING, actor)
    return job


def cancel(job: HistoryMigration, actor: Any = None) -> HistoryMigration:
    _change(job, MoveState.CANCELLED, actor)
    return job


def _change(job: HistoryMigration, wanted: str, actor: Any) -> None:
    change_state(
        job, wanted, actor=actor, error_class=HistoryMoveError, refused=CANNOT_CHANGE, busy=CHANGING
    )


def on_transition(
    job: HistoryMigration, previous: str, actor: Any, detail: Mapping[str, Any]
) -> None:
    audit(
        f"history.migration_{job.state}",
        organisation=job.organisation,
        actor=actor,
        obj=job,
        previous=previous,
        **detail,
    )


def status(job: HistoryMigration) -> dict[str, Any]:
    """What `envol history status --json` prints."""
    return {"state": job.state, "posts": job.posts, "records": job.total, **job.counts()}


def posted_map(job: HistoryMigration) -> dict[str, str]:
    """X status id → Bluesky post URI (its first part), for the site and the report."""
    return dict(
        job.items.filter(part=0, state__in=(PostState.DONE, PostState.ALREADY))
        .order_by("id")
        .values_list("x_id", "remote_uri")
    )


# --- one step (the engine runs it: history/jobs.py) ---------------------------------------------


def budgets_for(job: HistoryMigration, clock: Callable[[], datetime]) -> AccountBudgets:
    return AccountBudgets(
        job.account_id,
        POLICIES,
        clock=clock,
        published=job.options.get("published_limits") is not False,
    )


def move_step(job: HistoryMigration, step: Step) -> Outcome:
    """At most one batch: settle a batch a crash left `sent`, size the next from the account's
    budget, commit it `sent`, reserve its points, write it in one `applyWrites`."""
    if job.state != MoveState.RUNNING:
        return to(MoveState.RUNNING)
    network: BlueskyNetwork | None = None
    budgets = budgets_for(job, step.clock)
    try:
        network = cast(BlueskyNetwork, step.context.get("network") or _connect(job, step))
        step.context["network"] = network
        return _work(job, network, budgets)
    except RateLimited as limited:
        resume_at = max(limited.reset_at, step.clock() + timedelta(seconds=1))
        return to(MoveState.WAITING, at=resume_at, reason="429")
    except (AccountError, AuthError) as exc:
        step.context.pop("network", None)
        error = str(exc) if isinstance(exc, AccountError) else explain(exc)
        return to(MoveState.FAILED, fields={"last_error": error}, reason="account")
    except NetworkError as exc:
        return retry(str(exc))
    finally:
        _save_progress(job)
        if network is not None:
            budgets.learn("write", network.rate_budget("write"))


def _connect(job: HistoryMigration, step: Step) -> BlueskyNetwork:
    try:
        return cast(BlueskyNetwork, network_for(job.account, clock=step.clock))
    except AccountError:
        raise
    except NetworkError as exc:
        raise AccountError(explain(exc)) from exc


def _work(job: HistoryMigration, network: BlueskyNetwork, budgets: AccountBudgets) -> Outcome:
    key = reservation_key(job)
    _reconcile(job, network, budgets, key)
    if not job.items.filter(state__in=OPEN_POST_STATES).exists():
        return to(MoveState.DONE)
    if HistoryMigration.objects.filter(pk=job.pk).values_list("state", flat=True)[0] != job.state:
        return again()  # paused or cancelled meanwhile: the person wins
    wanted = max(min(int(job.options.get("batch_size", MAX_WRITES_PER_CALL)), 200), 1)
    batch = budgets.view("write").plan(COST, wanted)
    if batch.items == 0:
        return to(MoveState.WAITING, at=batch.not_before, reason="budget")
    HistoryMigration.objects.filter(pk=job.pk).update(calls=F("calls") + 1)
    _send(job, network, budgets, key, batch.items)
    return again()


def _reconcile(
    job: HistoryMigration, network: BlueskyNetwork, budgets: AccountBudgets, key: str
) -> None:
    """A batch a crash left `sent` (one commit: landed whole or not at all) is looked up by its
    keys; what never landed goes back to pending with the same key and record."""
    sent = list(job.items.filter(state=PostState.SENT).order_by("id"))
    if not sent:
        budgets.release(key)  # reserved, then killed before any item was marked
        return
    landing = landed([item.record_key for item in sent], network.post_ref)
    missing = 0
    for item in sent:
        if item.record_key in landing.landed:
            item.move_to(PostState.DONE)
            item.remote_uri = f"at://{network.did}/{POST}/{item.record_key}"
        else:
            item.move_to(PostState.PENDING)
            missing += 1
    update_rows(HistoryPost, ITEM_FIELDS, sent)
    budgets.release(key, {"write": missing * COST})


def _send(
    job: HistoryMigration,
    network: BlueskyNetwork,
    budgets: AccountBudgets,
    key: str,
    size: int,
) -> None:
    items = list(job.items.filter(state=PostState.PENDING).order_by("id")[:size])
    if not items or not budgets.reserve(key, {"write": len(items) * COST}):
        return  # another job of the account took the points first: plan again
    for item in items:
        item.move_to(PostState.SENT)
        item.attempts += 1
    update_rows(HistoryPost, ITEM_FIELDS, items)  # committed BEFORE the write
    files_refused: dict[str, InvalidContent] = {}
    try:
        files_refused = _upload_files(network, items)
        if files_refused:
            raise next(iter(files_refused.values()))
        created = network.create_posts([(item.record_key, item.record) for item in items])
    except InvalidContent as refused:
        budgets.settle(key)
        _send_one_by_one(network, items, refused, files_refused)
        return
    except RateLimited:
        budgets.settle(key)  # a refused call still counts; the items stay `sent`: reconciled
        raise
    budgets.settle(key)
    for item in items:
        item.move_to(PostState.DONE)
        item.remote_uri = created[item.record_key][0]
    update_rows(HistoryPost, ITEM_FIELDS, items)


def _upload_files(network: BlueskyNetwork, items: list[HistoryPost]) -> dict[str, InvalidContent]:
    """The images and videos of a batch, before its records (uploading is content-addressed:
    uploading again after a crash stores nothing twice). Record key → why a file of that post
    could not go: over this PDS's own upload limit (lower than the default envol assumes), or
    changed since the job was created (its record's reference no longer matches)."""
    root = Path(settings.MEDIA_ROOT)
    refused: dict[str, InvalidContent] = {}
    for item in items:
        for upload in item.uploads:
            data = (root / upload["path"]).read_bytes()
            try:
                blob = network.upload_blob(data, upload["mime"])
            except InvalidContent as exc:
                refused[item.record_key] = exc
                break
            if blob.get("ref", {}).get("$link") != blob_cid(data):
                message = f"{upload['path']} changed: plan again."
                refused[item.record_key] = InvalidContent("blob_changed", message)
                break
    return refused


def _send_one_by_one(
    network: BlueskyNetwork,
    items: list[HistoryPost],
    refused: InvalidContent,
    files_refused: Mapping[str, InvalidContent],
) -> None:
    """A batch the PDS refused: one record made it refuse (or one of its files). Each is sent
    alone, so that only the refused ones fail (with the PDS's words) — and a reply to a refused
    post fails with it. A record already at its key is this very post, written by an earlier
    migration (keys come from the posts): `already`, never a second copy."""
    failed: set[str] = set()
    for item in items:
        parent = item.record.get("reply", {}).get("parent", {}).get("uri", "")
        existing = network.post_ref(item.record_key)
        if existing is not None:
            item.move_to(PostState.ALREADY)
            item.remote_uri = existing[0]
        elif item.record_key in files_refused:
            failed.add(item.record_key)
            _refuse(item, files_refused[item.record_key])
        elif parent.rsplit("/", 1)[-1] in failed:
            failed.add(item.record_key)
            _refuse(item, refused, reason="parent_refused")
        elif len(items) == 1:
            failed.add(item.record_key)
            _refuse(item, refused)
        else:
            try:
                created = network.create_posts([(item.record_key, item.record)])
            except InvalidContent as exc:
                failed.add(item.record_key)
                _refuse(item, exc)
            else:
                item.move_to(PostState.DONE)
                item.remote_uri = created[item.record_key][0]
        update_rows(HistoryPost, ITEM_FIELDS, [item])


def _refuse(item: HistoryPost, exc: InvalidContent, reason: str = "") -> None:
    item.move_to(PostState.FAILED)
    item.reason = (reason or exc.reason or "refused")[:30]
    item.last_error = str(exc)[:2000]


def _save_progress(job: HistoryMigration) -> None:
    counts = dict(job.items.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    HistoryMigration.objects.filter(pk=job.pk).update(
        count_done=counts.get(PostState.DONE, 0),
        count_already=counts.get(PostState.ALREADY, 0),
        count_skipped=counts.get(PostState.SKIPPED, 0),
        count_failed=counts.get(PostState.FAILED, 0),
        count_pending=counts.get(PostState.PENDING, 0) + counts.get(PostState.SENT, 0),
    )
