"""What each platform measures, and how well: the kinds table, as data.

Why here and not in templates or in the insights app: "reach is never invented". Every figure
envol shows carries its kind — `exact` (a count the platform gives), `proxy` (a documented
estimate, e.g. clicks on envol's own short links standing in for link clicks), or `absent` (the
platform does not measure it: Bluesky and Mastodon have no impressions). The adapters declare
their kinds in `Capabilities.metrics`; the closed platforms envol only reads exports of (X,
Facebook, Instagram, LinkedIn, YouTube, TikTok) have no adapter, so their kinds live in
`CLOSED_PLATFORMS` below. `envol.networks.kinds.kinds_for` answers for any platform.

One vocabulary across platforms, so that figures can be added up and compared: a repost, boost,
retweet or share is `shares`; a reply or comment is `comments`; a reaction or like is `likes`.
Pure Python: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Platform(StrEnum):
    """Every platform envol measures: the two it publishes to, and the closed ones it imports."""

    BLUESKY = "bluesky"
    MASTODON = "mastodon"
    X = "x"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    LINKEDIN = "linkedin"
    YOUTUBE = "youtube"
    TIKTOK = "tiktok"


class MetricKind(StrEnum):
    """How a figure was obtained. Proxies are labelled as such wherever they are shown."""

    EXACT = "exact"
    PROXY = "proxy"
    ABSENT = "absent"


class Metric(StrEnum):
    """envol's metric names. Flows add up over days; levels (followers, following, posts) are
    read at a moment and never added (see `LEVELS`)."""

    VIEWS = "views"  # times the content was played or viewed, as the platform counts a view
    IMPRESSIONS = "impressions"  # times the content was displayed on a screen
    REACH = "reach"  # distinct people who saw the content
    ENGAGEMENTS = "engagements"  # interactions, as the platform defines them (else their sum)
    LIKES = "likes"
    COMMENTS = "comments"  # replies
    SHARES = "shares"  # reposts, boosts, retweets
    QUOTES = "quotes"
    SAVES = "saves"  # bookmarks
    CLICKS = "clicks"  # clicks on the post's link
    PROFILE_VISITS = "profile_visits"
    FOLLOWERS_GAINED = "followers_gained"
    WATCH_HOURS = "watch_hours"
    FOLLOWERS = "followers"
    FOLLOWING = "following"
    POSTS = "posts"


LEVELS = frozenset({Metric.FOLLOWERS, Metric.FOLLOWING, Metric.POSTS})
"""Metrics that are a state at a moment: a period's value is the last one read, not a sum."""

TOTALS = (
    Metric.VIEWS,
    Metric.IMPRESSIONS,
    Metric.REACH,
    Metric.ENGAGEMENTS,
    Metric.LIKES,
    Metric.COMMENTS,
    Metric.SHARES,
    Metric.CLICKS,
    Metric.FOLLOWERS_GAINED,
    Metric.WATCH_HOURS,
)
"""The metrics an import's summary adds up (the `totals` of `envol insights import --json`)."""


@dataclass(frozen=True)
class MetricKinds:
    """One platform's kinds table. A metric in neither set is `absent`.

    `views` is the platform's headline audience figure, in order of preference: the first of
    these the data holds is what "views" means for this platform in campaign totals (X and
    LinkedIn count impressions, Meta and the video platforms count views). Empty: the platform
    says nothing of its audience (Bluesky, Mastodon).
    """

    exact: frozenset[Metric]
    proxy: frozenset[Metric] = field(default_factory=frozenset)
    views: tuple[Metric, ...] = ()
    notes: tuple[tuple[Metric, str], ...] = ()  # how a figure is obtained, where it is not obvious

    def __post_init__(self) -> None:
        if self.exact & self.proxy:
            raise ValueError(f"A metric cannot be exact and a proxy: {self.exact & self.proxy}")

    def kind(self, metric: Metric | str) -> MetricKind:
        metric = Metric(metric)
        if metric in self.exact:
            return MetricKind.EXACT
        if metric in self.proxy:
            return MetricKind.PROXY
        return MetricKind.ABSENT

    def measured(self) -> frozenset[Metric]:
        """Every metric the platform gives, exactly or as a proxy."""
        return self.exact | self.proxy

    def note(self, metric: Metric | str) -> str:
        return dict(self.notes).get(Metric(metric), "")


SHORT_LINK_CLICKS = (
    Metric.CLICKS,
    "clicks on the organisation's own envol short links (a lower bound of link clicks)",
)
ENGAGEMENT_SUM = (
    Metric.ENGAGEMENTS,
    "computed by envol: likes + comments + shares (+ quotes), each exact",
)

# Bluesky and Mastodon: counts from the AppView / the home server; no impressions at all.
BLUESKY_METRICS = MetricKinds(
    exact=frozenset(
        {
            Metric.LIKES,
            Metric.SHARES,
            Metric.COMMENTS,
            Metric.QUOTES,
            Metric.ENGAGEMENTS,
            Metric.FOLLOWERS,
            Metric.FOLLOWING,
            Metric.POSTS,
        }
    ),
    proxy=frozenset({Metric.CLICKS, Metric.FOLLOWERS_GAINED}),
    notes=(
        SHORT_LINK_CLICKS,
        ENGAGEMENT_SUM,
        (Metric.FOLLOWERS_GAINED, "net change of the follower count between two snapshots"),
    ),
)
MASTODON_METRICS = MetricKinds(
    exact=BLUESKY_METRICS.exact - {Metric.QUOTES},
    proxy=BLUESKY_METRICS.proxy,
    notes=(
        SHORT_LINK_CLICKS,
        (Metric.ENGAGEMENTS, "computed by envol: favourites + boosts + replies"),
        (Metric.FOLLOWERS_GAINED, "net change of the follower count between two snapshots"),
        (Metric.LIKES, "what the account's home server knows (remote servers may know more)"),
    ),
)

CLOSED_PLATFORMS: dict[Platform, MetricKinds] = {
    Platform.X: MetricKinds(
        exact=frozenset(
            {
                Metric.IMPRESSIONS,
                Metric.VIEWS,
                Metric.ENGAGEMENTS,
                Metric.LIKES,
                Metric.COMMENTS,
                Metric.SHARES,
                Metric.SAVES,
                Metric.CLICKS,
                Metric.PROFILE_VISITS,
                Metric.FOLLOWERS_GAINED,
            }
        ),
        views=(Metric.IMPRESSIONS,),
        notes=(
            (Metric.IMPRESSIONS, "X shows them as the post's views"),
            (Metric.VIEWS, "video and media views only"),
        ),
    ),
    Platform.FACEBOOK: MetricKinds(
        exact=frozenset(
            {
                Metric.VIEWS,
                Metric.IMPRESSIONS,
                Metric.REACH,
                Metric.ENGAGEMENTS,
                Metric.LIKES,
                Metric.COMMENTS,
                Metric.SHARES,
                Metric.CLICKS,
                Metric.FOLLOWERS_GAINED,
            }
        ),
        views=(Metric.VIEWS, Metric.IMPRESSIONS),
        notes=(
            (Metric.VIEWS, "Meta's 2025 'Views' replaced impressions; older files have only those"),
            (Metric.ENGAGEMENTS, "reactions, comments and shares"),
        ),
    ),
    Platform.INSTAGRAM: MetricKinds(
        exact=frozenset(
            {
                Metric.VIEWS,
                Metric.IMPRESSIONS,
                Metric.REACH,
                Metric.ENGAGEMENTS,
                Metric.LIKES,
                Metric.COMMENTS,
                Metric.SHARES,
                Metric.SAVES,
                Metric.PROFILE_VISITS,
                Metric.FOLLOWERS_GAINED,
            }
        ),
        views=(Metric.VIEWS, Metric.IMPRESSIONS),
        notes=((Metric.ENGAGEMENTS, "likes, comments, shares and saves"),),
    ),
    Platform.LINKEDIN: MetricKinds(
        exact=frozenset(
            {
                Metric.IMPRESSIONS,
                Metric.REACH,
                Metric.VIEWS,
                Metric.ENGAGEMENTS,
                Metric.LIKES,
                Metric.COMMENTS,
                Metric.SHARES,
                Metric.CLICKS,
                Metric.FOLLOWERS_GAINED,
            }
        ),
        views=(Metric.IMPRESSIONS,),
        notes=(
            (Metric.VIEWS, "video views only"),
            (Metric.REACH, "LinkedIn's unique impressions"),
            (Metric.ENGAGEMENTS, "clicks, reactions, comments and reposts"),
        ),
    ),
    Platform.YOUTUBE: MetricKinds(
        exact=frozenset(
            {
                Metric.VIEWS,
                Metric.IMPRESSIONS,
                Metric.ENGAGEMENTS,
                Metric.LIKES,
                Metric.COMMENTS,
                Metric.SHARES,
                Metric.WATCH_HOURS,
                Metric.FOLLOWERS_GAINED,
            }
        ),
        views=(Metric.VIEWS,),
        notes=(
            (Metric.IMPRESSIONS, "thumbnail impressions on YouTube, not views of the video"),
            (Metric.FOLLOWERS_GAINED, "net subscribers"),
        ),
    ),
    Platform.TIKTOK: MetricKinds(
        exact=frozenset(
            {
                Metric.VIEWS,
                Metric.REACH,
                Metric.ENGAGEMENTS,
                Metric.LIKES,
                Metric.COMMENTS,
                Metric.SHARES,
                Metric.SAVES,
                Metric.PROFILE_VISITS,
                Metric.FOLLOWERS,
                Metric.FOLLOWERS_GAINED,
            }
        ),
        views=(Metric.VIEWS,),
        notes=((Metric.FOLLOWERS_GAINED, "net difference from the previous day"),),
    ),
}
