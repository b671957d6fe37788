"""The platforms' export files, as data: one entry per file kind, its columns with the header
variants the platforms have used (English and French — they translate and rename them), which
are required, and envol's name for each.

To support a renamed header, add the new spelling to its column's variants (the first variant
found in a file wins, so list the preferred one first: LinkedIn's "(total)" before "(organic)").
Headers are compared after `normalise` (case, accents kept, spaces and apostrophes unified).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from envol.networks.metrics import Metric, Platform

# envol's non-metric fields
POST_ID = "post_id"
DATE = "date"
TEXT = "text"
URL = "url"
POST_TYPE = "post_type"
ACCOUNT = "account"
VALUE = "value"  # Meta's one-metric daily files: the metric comes from the title line

POSTS = "posts"
DAILY = "daily"

TOTAL_LABELS = frozenset({"total", "totals", "totaux", "total général", "grand total", "somme"})
"""A row whose key cell says this is the platform's own total (YouTube's first row): skipped,
so the total is not counted twice."""


def normalise(header: object) -> str:
    text = unicodedata.normalize("NFKC", str(header or "")).replace("\ufeff", "")
    text = text.replace("’", "'").replace("`", "'").strip().strip('"').casefold()
    return re.sub(r"\s+", " ", text)


@dataclass(frozen=True)
class Column:
    field: str  # envol's name: a `Metric` value or one of the fields above
    en: tuple[str, ...]
    fr: tuple[str, ...] = ()
    required: bool = False

    def variants(self) -> tuple[str, ...]:
        return tuple(normalise(v) for v in (*self.en, *self.fr))


@dataclass(frozen=True)
class FileKind:
    name: str
    label: str  # as the platform names the file
    platforms: tuple[Platform, ...]  # Meta's files: Facebook or Instagram, told by their content
    kind: str  # POSTS or DAILY
    columns: tuple[Column, ...]
    sheets: tuple[str, ...] = ()  # workbook sheets it lives in (any sheet when empty)
    engagements_from: tuple[Metric, ...] = ()  # the platform's definition, when no column says
    never: tuple[str, ...] = ()  # headers this kind never has: their presence rules it out

    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)


def _c(
    field: str | Metric, en: tuple[str, ...], fr: tuple[str, ...] = (), req: bool = False
) -> Column:
    return Column(str(field), en, fr, req)


M = Metric
X_CONTENT = FileKind(
    "x_content",
    "X account_analytics_content",
    (Platform.X,),
    POSTS,
    (
        _c(POST_ID, ("Post id", "Post ID"), ("Identifiant du post", "ID du post"), req=True),
        _c(DATE, ("Date",), ("Date",), req=True),
        _c(TEXT, ("Post text",), ("Texte du post",)),
        _c(URL, ("Post Link", "Post link"), ("Lien du post",)),
        _c(M.IMPRESSIONS, ("Impressions",), ("Impressions",), req=True),
        _c(M.LIKES, ("Likes",), ("J'aime",)),
        _c(M.ENGAGEMENTS, ("Engagements",), ("Engagements",)),
        _c(M.SAVES, ("Bookmarks",), ("Signets",)),
        _c(M.SHARES, ("Reposts",), ("Reposts", "Republications")),
        _c(M.FOLLOWERS_GAINED, ("New follows",), ("Nouveaux abonnements", "Nouveaux abonnés")),
        _c(M.COMMENTS, ("Replies",), ("Réponses",)),
        _c(M.PROFILE_VISITS, ("Profile visits",), ("Visites du profil",)),
        _c(M.CLICKS, ("URL Clicks", "URL clicks"), ("Clics sur l'URL", "Clics sur l'url")),
    ),
)
X_OVERVIEW = FileKind(
    "x_overview",
    "X account_overview_analytics",
    (Platform.X,),
    DAILY,
    (
        _c(DATE, ("Date",), ("Date",), req=True),
        _c(M.IMPRESSIONS, ("Impressions",), ("Impressions",), req=True),
        _c(M.LIKES, ("Likes",), ("J'aime",)),
        _c(M.ENGAGEMENTS, ("Engagements",), ("Engagements",), req=True),
        _c(M.SAVES, ("Bookmarks",), ("Signets",)),
        _c(M.SHARES, ("Reposts",), ("Reposts", "Republications")),
        _c(M.FOLLOWERS_GAINED, ("New follows",), ("Nouveaux abonnements", "Nouveaux abonnés")),
        _c(M.COMMENTS, ("Replies",), ("Réponses",)),
        _c(M.PROFILE_VISITS, ("Profile visits",), ("Visites du profil",)),
        _c(M.VIEWS, ("Video views",), ("Vues de vidéos", "Vues des vidéos")),
    ),
)
X_TWEET_ACTIVITY = FileKind(
    "x_tweet_activity",
    "Twitter tweet_activity_metrics",
    (Platform.X,),
    POSTS,
    (
        _c(POST_ID, ("Tweet id",), ("Identifiant du Tweet",), req=True),
        _c(URL, ("Tweet permalink",), ("Permalien du Tweet",)),
        _c(TEXT, ("Tweet text",), ("Texte du Tweet",)),
        _c(DATE, ("time",), ("heure",), req=True),
        _c(M.IMPRESSIONS, ("impressions",), ("impressions",), req=True),
        _c(M.ENGAGEMENTS, ("engagements",), ("engagements",)),
        _c(M.SHARES, ("retweets",), ("Retweets",)),
        _c(M.COMMENTS, ("replies",), ("réponses",)),
        _c(M.LIKES, ("likes", "favorites"), ("J'aime",)),
        _c(
            M.PROFILE_VISITS,
            ("user profile clicks",),
            ("clics sur le profil de l'utilisateur", "clics sur le profil"),
        ),
        _c(M.CLICKS, ("url clicks",), ("clics sur l'URL", "clics sur l'url")),
        _c(M.FOLLOWERS_GAINED, ("follows",), ("abonnements",)),
        _c(M.VIEWS, ("media views",), ("vues des médias", "vues de médias")),
    ),
)
META_POSTS = FileKind(
    "meta_posts",
    "Meta Business Suite posts",
    (Platform.FACEBOOK, Platform.INSTAGRAM),
    POSTS,
    (
        _c(
            POST_ID,
            ("Post ID", "Post id"),
            ("Identifiant de la publication", "ID de la publication"),
            req=True,
        ),
        _c(
            ACCOUNT,
            ("Page name", "Account username", "Account name"),
            ("Nom de la Page", "Nom d'utilisateur du compte", "Nom du compte"),
        ),
        _c(DATE, ("Publish time",), ("Heure de publication", "Date de publication"), req=True),
        _c(URL, ("Permalink",), ("Lien permanent",)),
        _c(POST_TYPE, ("Post type",), ("Type de publication",)),
        _c(TEXT, ("Description", "Title"), ("Description", "Titre")),
        _c(M.VIEWS, ("Views",), ("Vues",)),
        _c(M.IMPRESSIONS, ("Impressions",), ("Impressions",)),
        _c(M.REACH, ("Reach",), ("Couverture",), req=True),  # in old and new exports alike
        _c(
            M.ENGAGEMENTS,
            ("Reactions, comments and shares",),
            ("Réactions, commentaires et partages",),
        ),
        _c(M.LIKES, ("Reactions", "Likes"), ("Réactions", "J'aime", "Mentions J'aime")),
        _c(M.COMMENTS, ("Comments",), ("Commentaires",)),
        _c(M.SHARES, ("Shares",), ("Partages",)),
        _c(M.SAVES, ("Saves",), ("Enregistrements",)),
        _c(M.CLICKS, ("Link clicks", "Total clicks"), ("Clics sur un lien", "Total des clics")),
        _c(M.FOLLOWERS_GAINED, ("Follows",), ("Abonnements",)),
    ),
    engagements_from=(M.LIKES, M.COMMENTS, M.SHARES, M.SAVES),
)
META_DAILY = FileKind(
    "meta_daily",
    "Meta Business Suite daily",
    (Platform.FACEBOOK, Platform.INSTAGRAM),
    DAILY,
    (
        _c(DATE, ("Date",), ("Date",), req=True),
        _c(VALUE, ("Primary",), ("Principal", "Principale"), req=True),
    ),
)
LINKEDIN_METRICS = FileKind(
    "linkedin_metrics",
    "LinkedIn page analytics, Metrics sheet",
    (Platform.LINKEDIN,),
    DAILY,
    (
        _c(DATE, ("Date",), ("Date",), req=True),
        _c(
            M.IMPRESSIONS,
            ("Impressions (total)", "Impressions (organic)"),
            ("Impressions (total)", "Impressions (naturelles)", "Impressions (organiques)"),
            req=True,
        ),
        _c(
            M.REACH,
            ("Unique impressions (total)", "Unique impressions (organic)"),
            ("Impressions uniques (total)", "Impressions uniques (naturelles)"),
        ),
        _c(
            M.CLICKS,
            ("Clicks (total)", "Clicks (organic)"),
            ("Clics (total)", "Clics (naturels)", "Clics (organiques)"),
        ),
        _c(
            M.LIKES,
            ("Reactions (total)", "Reactions (organic)"),
            ("Réactions (total)", "Réactions (naturelles)", "Réactions (organiques)"),
        ),
        _c(
            M.COMMENTS,
            ("Comments (total)", "Comments (organic)"),
            ("Commentaires (total)", "Commentaires (naturels)", "Commentaires (organiques)"),
        ),
        _c(
            M.SHARES,
            ("Reposts (total)", "Shares (total)", "Reposts (organic)", "Shares (organic)"),
            ("Republications (total)", "Partages (total)", "Republications (naturelles)"),
        ),
    ),
    sheets=("Metrics", "Indicateurs", "Statistiques"),
    engagements_from=(M.CLICKS, M.LIKES, M.COMMENTS, M.SHARES),
)
LINKEDIN_POSTS = FileKind(
    "linkedin_posts",
    "LinkedIn page analytics, All posts sheet",
    (Platform.LINKEDIN,),
    POSTS,
    (
        _c(TEXT, ("Post title",), ("Titre de la publication", "Titre du post")),
        _c(POST_ID, ("Post link",), ("Lien de la publication", "Lien du post"), req=True),
        _c(POST_TYPE, ("Post type",), ("Type de publication", "Type de post")),
        _c(DATE, ("Created date",), ("Date de création",), req=True),
        _c(M.IMPRESSIONS, ("Impressions",), ("Impressions",), req=True),
        _c(M.VIEWS, ("Views",), ("Vues",)),
        _c(M.CLICKS, ("Clicks",), ("Clics",)),
        _c(M.LIKES, ("Likes", "Reactions"), ("J'aime", "Réactions")),
        _c(M.COMMENTS, ("Comments",), ("Commentaires",)),
        _c(M.SHARES, ("Reposts", "Shares"), ("Republications", "Partages")),
        _c(M.FOLLOWERS_GAINED, ("Follows",), ("Abonnements",)),
    ),
    sheets=("All posts", "Toutes les publications", "Tous les posts"),
    engagements_from=(M.CLICKS, M.LIKES, M.COMMENTS, M.SHARES),
)
LINKEDIN_FOLLOWERS = FileKind(
    "linkedin_followers",
    "LinkedIn followers, New followers sheet",
    (Platform.LINKEDIN,),
    DAILY,
    (
        _c(DATE, ("Date",), ("Date",), req=True),
        _c(
            M.FOLLOWERS_GAINED,
            ("Total followers",),
            ("Total des abonnés", "Nombre total d'abonnés"),
            req=True,
        ),
    ),
    sheets=("New followers", "Nouveaux abonnés"),
)
YOUTUBE_TABLE = FileKind(
    "youtube_table",
    "YouTube Studio Table data",
    (Platform.YOUTUBE,),
    POSTS,
    (
        _c(POST_ID, ("Content",), ("Contenu",), req=True),
        _c(TEXT, ("Video title",), ("Titre de la vidéo",)),
        _c(DATE, ("Video publish time",), ("Heure de publication de la vidéo",), req=True),
        _c(M.VIEWS, ("Views",), ("Vues",), req=True),
        _c(M.WATCH_HOURS, ("Watch time (hours)",), ("Durée de visionnage (heures)",)),
        _c(M.FOLLOWERS_GAINED, ("Subscribers",), ("Abonnés",)),
        _c(M.IMPRESSIONS, ("Impressions",), ("Impressions",)),
        _c(M.LIKES, ("Likes",), ("J'aime", "Mentions J'aime")),
        _c(M.COMMENTS, ("Comments added",), ("Commentaires ajoutés",)),
        _c(M.SHARES, ("Shares",), ("Partages",)),
    ),
    engagements_from=(M.LIKES, M.COMMENTS, M.SHARES),
    never=("Date",),  # Chart data has the same columns plus the day
)
YOUTUBE_CHART = FileKind(
    "youtube_chart",
    "YouTube Studio Chart data",
    (Platform.YOUTUBE,),
    DAILY,
    (
        _c(DATE, ("Date",), ("Date",), req=True),
        _c(POST_ID, ("Content",), ("Contenu",), req=True),
        _c(M.VIEWS, ("Views",), ("Vues",), req=True),
        _c(M.WATCH_HOURS, ("Watch time (hours)",), ("Durée de visionnage (heures)",)),
        _c(M.FOLLOWERS_GAINED, ("Subscribers",), ("Abonnés",)),
    ),
)
YOUTUBE_TOTALS = FileKind(
    "youtube_totals",
    "YouTube Studio Totals",
    (Platform.YOUTUBE,),
    DAILY,
    (
        _c(DATE, ("Date",), ("Date",), req=True),
        _c(M.VIEWS, ("Views",), ("Vues",), req=True),
        _c(M.WATCH_HOURS, ("Watch time (hours)",), ("Durée de visionnage (heures)",)),
        _c(M.FOLLOWERS_GAINED, ("Subscribers",), ("Abonnés",)),
        _c(M.IMPRESSIONS, ("Impressions",), ("Impressions",)),
    ),
)
TIKTOK_OVERVIEW = FileKind(
    "tiktok_overview",
    "TikTok Studio Overview",
    (Platform.TIKTOK,),
    DAILY,
    (
        _c(DATE, ("Date",), ("Date",), req=True),
        _c(
            M.VIEWS, ("Video Views", "Video views"), ("Vues de vidéos", "Vues des vidéos"), req=True
        ),
        _c(M.PROFILE_VISITS, ("Profile Views", "Profile views"), ("Vues du profil",)),
        _c(M.LIKES, ("Likes",), ("J'aime",)),
        _c(M.COMMENTS, ("Comments",), ("Commentaires",)),
        _c(M.SHARES, ("Shares",), ("Partages",)),
    ),
    engagements_from=(M.LIKES, M.COMMENTS, M.SHARES),
)
TIKTOK_FOLLOWERS = FileKind(
    "tiktok_followers",
    "TikTok Studio FollowerHistory",
    (Platform.TIKTOK,),
    DAILY,
    (
        _c(DATE, ("Date",), ("Date",), req=True),
        _c(M.FOLLOWERS, ("Followers",), ("Abonnés", "Followers"), req=True),
        _c(
            M.FOLLOWERS_GAINED,
            ("Difference in followers from previous day",),
            ("Différence d'abonnés par rapport à la veille", "Différence par rapport à la veille"),
        ),
    ),
)
TIKTOK_CONTENT = FileKind(
    "tiktok_content",
    "TikTok Studio Content",
    (Platform.TIKTOK,),
    POSTS,
    (
        _c(DATE, ("Post time", "Time"), ("Date de publication", "Heure de publication"), req=True),
        _c(TEXT, ("Video title",), ("Titre de la vidéo",)),
        _c(POST_ID, ("Video link",), ("Lien de la vidéo",), req=True),
        _c(M.VIEWS, ("Total views", "Video views"), ("Vues totales", "Vues de vidéos"), req=True),
        _c(M.LIKES, ("Total likes",), ("Total des j'aime", "J'aime totaux")),
        _c(M.COMMENTS, ("Total comments",), ("Total des commentaires", "Commentaires totaux")),
        _c(M.SHARES, ("Total shares",), ("Total des partages", "Partages totaux")),
        _c(M.SAVES, ("Total saves",), ("Total des enregistrements",)),
    ),
    engagements_from=(M.LIKES, M.COMMENTS, M.SHARES, M.SAVES),
)

FILE_KINDS: tuple[FileKind, ...] = (
    X_CONTENT,
    X_OVERVIEW,
    X_TWEET_ACTIVITY,
    META_POSTS,
    META_DAILY,
    LINKEDIN_METRICS,
    LINKEDIN_POSTS,
    LINKEDIN_FOLLOWERS,
    YOUTUBE_TABLE,
    YOUTUBE_CHART,
    YOUTUBE_TOTALS,
    TIKTOK_OVERVIEW,
    TIKTOK_FOLLOWERS,
    TIKTOK_CONTENT,
)
BY_NAME = {kind.name: kind for kind in FILE_KINDS}

META_TITLES: tuple[tuple[tuple[str, ...], Metric], ...] = (
    (("views", "vues", "impressions"), Metric.VIEWS),
    (("reach", "couverture"), Metric.REACH),
    (("follows", "new followers", "abonnements", "nouveaux abonnés"), Metric.FOLLOWERS_GAINED),
    (("interactions", "content interactions", "engagement"), Metric.ENGAGEMENTS),
    (("link clicks", "clics sur un lien", "clics sur les liens"), Metric.CLICKS),
    (("visits", "profile visits", "visites", "visites du profil"), Metric.PROFILE_VISITS),
)
"""Meta's daily files hold one metric each, named on the line above the header
("Facebook views", "Couverture Instagram"…): the words that tell which."""

HOSTS = {
    "facebook.com": Platform.FACEBOOK,
    "fb.com": Platform.FACEBOOK,
    "fb.watch": Platform.FACEBOOK,
    "instagram.com": Platform.INSTAGRAM,
    "x.com": Platform.X,
    "twitter.com": Platform.X,
    "linkedin.com": Platform.LINKEDIN,
    "youtube.com": Platform.YOUTUBE,
    "youtu.be": Platform.YOUTUBE,
    "tiktok.com": Platform.TIKTOK,
}
"""Where a file's links point tells Facebook from Instagram in Meta's shared export shape."""
