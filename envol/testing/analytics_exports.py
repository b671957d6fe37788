"""Generated analytics exports in each platform's real shape, for the tests and the demo.

Never commit a real export (it holds an organisation's data): these writers reproduce the
shapes — X's CSVs, Meta Business Suite's post exports and its UTF-16 daily files with a `sep=,`
first line, LinkedIn's workbooks (.xlsx and .xls, a description row above the header, data from
row 3), YouTube Studio's CSVs with their "Total" first row, TikTok Studio's CSVs with dates
without a year — in English or French, with each language's number and date format.

The headers are written here as the platforms write them, independently of the importer's
mapping table (`envol/insights/exports/columns.py`), so that a test can catch a wrong mapping.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

NNBSP = "\u202f"
FRENCH_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
ENGLISH_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


@dataclass
class Post:
    id: str
    when: datetime
    text: str
    metrics: dict[str, float] = field(default_factory=dict)

    def m(self, name: str) -> float:
        return self.metrics.get(name, 0)


@dataclass
class Day:
    day: date
    metrics: dict[str, float] = field(default_factory=dict)

    def m(self, name: str) -> float:
        return self.metrics.get(name, 0)


def number(value: float, lang: str) -> str:
    """1234567 → "1,234,567" (en) or "1 234 567" (fr); decimals with the language's mark."""
    text = f"{value:,.2f}" if not float(value).is_integer() else f"{int(value):,}"
    if lang == "fr":
        text = text.replace(",", NNBSP).replace(".", ",")
    return text


def percent(value: float, lang: str) -> str:
    return f"{number(round(value, 1), lang)}{' %' if lang == 'fr' else '%'}"


def write_csv(
    path: Path,
    rows: Sequence[Sequence[Any]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    sep_line: bool = False,
) -> Path:
    buffer = io.StringIO(newline="")
    if sep_line:
        buffer.write(f"sep={delimiter}\r\n")
    csv.writer(buffer, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def _rate(part: float, whole: float) -> float:
    return 100 * part / whole if whole else 0.0


# --- X ----------------------------------------------------------------------------------------

X_CONTENT_HEADERS = {
    "en": [
        "Post id",
        "Date",
        "Post text",
        "Post Link",
        "Impressions",
        "Likes",
        "Engagements",
        "Bookmarks",
        "Shares",
        "New follows",
        "Replies",
        "Reposts",
        "Profile visits",
        "Detail Expands",
        "URL Clicks",
    ],
    "fr": [
        "Identifiant du post",
        "Date",
        "Texte du post",
        "Lien du post",
        "Impressions",
        "J'aime",
        "Engagements",
        "Signets",
        "Partages",
        "Nouveaux abonnements",
        "Réponses",
        "Reposts",
        "Visites du profil",
        "Développements des détails",
        "Clics sur l'URL",
    ],
}


def x_date(moment: datetime, lang: str) -> str:
    if lang == "fr":
        return f"{moment.day} {FRENCH_MONTHS[moment.month - 1][:4].rstrip('.')}. {moment.year}"
    return moment.strftime("%a, %b %d, %Y")


def x_content(path: Path, posts: Sequence[Post], lang: str = "en", bom: bool = False) -> Path:
    """`account_analytics_content_<from>_<to>.csv` (X's current post analytics)."""
    rows: list[list[Any]] = [X_CONTENT_HEADERS[lang]]
    for p in posts:
        rows.append(
            [
                p.id,
                x_date(p.when, lang),
                p.text,
                f"https://x.com/ville/status/{p.id}",
                number(p.m("impressions"), lang),
                number(p.m("likes"), lang),
                number(p.m("engagements"), lang),
                number(p.m("saves"), lang),
                number(0, lang),
                number(p.m("followers_gained"), lang),
                number(p.m("comments"), lang),
                number(p.m("shares"), lang),
                number(p.m("profile_visits"), lang),
                number(3, lang),
                number(p.m("clicks"), lang),
            ]
        )
    return write_csv(path, rows, encoding="utf-8-sig" if bom else "utf-8")


X_OVERVIEW_HEADERS = {
    "en": [
        "Date",
        "Impressions",
        "Likes",
        "Engagements",
        "Bookmarks",
        "Shares",
        "New follows",
        "Unfollows",
        "Replies",
        "Reposts",
        "Profile visits",
        "Create Post",
        "Video views",
        "Media views",
    ],
    "fr": [
        "Date",
        "Impressions",
        "J'aime",
        "Engagements",
        "Signets",
        "Partages",
        "Nouveaux abonnements",
        "Désabonnements",
        "Réponses",
        "Reposts",
        "Visites du profil",
        "Créer un post",
        "Vues de vidéos",
        "Vues des médias",
    ],
}


def x_overview(path: Path, days: Sequence[Day], lang: str = "en") -> Path:
    """`account_overview_analytics.csv`: one row a day, newest first as X writes it."""
    rows: list[list[Any]] = [X_OVERVIEW_HEADERS[lang]]
    for d in sorted(days, key=lambda d: d.day, reverse=True):
        moment = datetime.combine(d.day, datetime.min.time())
        rows.append(
            [
                x_date(moment, lang),
                number(d.m("impressions"), lang),
                number(d.m("likes"), lang),
                number(d.m("engagements"), lang),
                number(0, lang),
                number(0, lang),
                number(d.m("followers_gained"), lang),
                number(1, lang),
                number(d.m("comments"), lang),
                number(d.m("shares"), lang),
                number(d.m("profile_visits"), lang),
                number(1, lang),
                number(d.m("views"), lang),
                number(0, lang),
            ]
        )
    return write_csv(path, rows)


TWEET_ACTIVITY_HEADERS = {
    "en": [
        "Tweet id",
        "Tweet permalink",
        "Tweet text",
        "time",
        "impressions",
        "engagements",
        "engagement rate",
        "retweets",
        "replies",
        "likes",
        "user profile clicks",
        "url clicks",
        "hashtag clicks",
        "detail expands",
        "permalink clicks",
        "app opens",
        "app installs",
        "follows",
        "email tweet",
        "dial phone",
        "media views",
        "media engagements",
        "promoted impressions",
        "promoted engagements",
    ],
    "fr": [
        "Identifiant du Tweet",
        "Permalien du Tweet",
        "Texte du Tweet",
        "heure",
        "impressions",
        "engagements",
        "taux d'engagement",
        "Retweets",
        "réponses",
        "J'aime",
        "clics sur le profil de l'utilisateur",
        "clics sur l'URL",
        "clics sur le hashtag",
        "développements des détails",
        "clics sur le permalien",
        "ouvertures d'application",
        "installations d'application",
        "abonnements",
        "envoyer le Tweet par e-mail",
        "composer le numéro de téléphone",
        "vues des médias",
        "engagements avec les médias",
        "impressions sponsorisées",
        "engagements sponsorisés",
    ],
}


def x_tweet_activity(path: Path, posts: Sequence[Post], lang: str = "en") -> Path:
    """The older `tweet_activity_metrics_<account>_<from>_<to>_<lang>.csv`: numbers written
    plainly, engagement rate as a fraction, time as `YYYY-MM-DD HH:MM +0000`, "-" for promoted
    figures."""
    rows: list[list[Any]] = [TWEET_ACTIVITY_HEADERS[lang]]
    for p in posts:
        impressions, engagements = p.m("impressions"), p.m("engagements")
        rows.append(
            [
                p.id,
                f"https://twitter.com/ville/status/{p.id}",
                p.text,
                p.when.strftime("%Y-%m-%d %H:%M +0000"),
                f"{impressions:.1f}",
                f"{engagements:.1f}",
                f"{(engagements / impressions if impressions else 0):.6f}",
                f"{p.m('shares'):.1f}",
                f"{p.m('comments'):.1f}",
                f"{p.m('likes'):.1f}",
                f"{p.m('profile_visits'):.1f}",
                f"{p.m('clicks'):.1f}",
                "0.0",
                "0.0",
                "0.0",
                "0",
                "0",
                f"{p.m('followers_gained'):.1f}",
                "0",
                "0",
                "0",
                "0",
                "-",
                "-",
            ]
        )
    return write_csv(path, rows)


# --- Meta Business Suite ----------------------------------------------------------------------

META_POST_HEADERS = {
    ("facebook", "en"): [
        "Post ID",
        "Page ID",
        "Page name",
        "Title",
        "Description",
        "Duration (sec)",
        "Publish time",
        "Caption type",
        "Permalink",
        "Is crosspost",
        "Is share",
        "Post type",
        "Languages",
        "Custom labels",
        "Funded content status",
        "Data comment",
        "Date",
        "Views",
        "Reach",
        "Reactions, comments and shares",
        "Reactions",
        "Comments",
        "Shares",
        "Total clicks",
        "Link clicks",
        "Other clicks",
    ],
    ("facebook", "fr"): [
        "Identifiant de la publication",
        "Identifiant de la Page",
        "Nom de la Page",
        "Titre",
        "Description",
        "Durée (s)",
        "Heure de publication",
        "Type de légende",
        "Lien permanent",
        "Est une publication croisée",
        "Est un partage",
        "Type de publication",
        "Langues",
        "Libellés personnalisés",
        "Statut du contenu financé",
        "Commentaire sur les données",
        "Date",
        "Vues",
        "Couverture",
        "Réactions, commentaires et partages",
        "Réactions",
        "Commentaires",
        "Partages",
        "Total des clics",
        "Clics sur un lien",
        "Autres clics",
    ],
    ("instagram", "en"): [
        "Post ID",
        "Account ID",
        "Account username",
        "Account name",
        "Description",
        "Duration (sec)",
        "Publish time",
        "Permalink",
        "Post type",
        "Data comment",
        "Date",
        "Views",
        "Reach",
        "Likes",
        "Shares",
        "Follows",
        "Comments",
        "Saves",
    ],
    ("instagram", "fr"): [
        "Identifiant de la publication",
        "Identifiant du compte",
        "Nom d'utilisateur du compte",
        "Nom du compte",
        "Description",
        "Durée (s)",
        "Heure de publication",
        "Lien permanent",
        "Type de publication",
        "Commentaire sur les données",
        "Date",
        "Vues",
        "Couverture",
        "J'aime",
        "Partages",
        "Abonnements",
        "Commentaires",
        "Enregistrements",
    ],
}


def meta_time(moment: datetime, lang: str) -> str:
    return moment.strftime("%d/%m/%Y %H:%M" if lang == "fr" else "%m/%d/%Y %H:%M")


def meta_posts(
    path: Path,
    platform: str,
    posts: Sequence[Post],
    lang: str = "en",
    *,
    page: str = "Rennes Métropole",
    encoding: str = "utf-8-sig",
) -> Path:
    """A Meta Business Suite post export ("Lifetime" values), Facebook or Instagram."""
    rows: list[list[Any]] = [META_POST_HEADERS[(platform, lang)]]
    for p in posts:
        when = meta_time(p.when, lang)
        lifetime = "Durée de vie" if lang == "fr" else "Lifetime"
        if platform == "facebook":
            reactions, comments, shares = p.m("likes"), p.m("comments"), p.m("shares")
            rows.append(
                [
                    p.id,
                    "1000123",
                    page,
                    "",
                    p.text,
                    "",
                    when,
                    "",
                    f"https://www.facebook.com/rennesmetropole/posts/{p.id}",
                    "No",
                    "No",
                    "Photos",
                    "",
                    "",
                    "",
                    "",
                    lifetime,
                    int(p.m("views")),
                    int(p.m("reach")),
                    int(reactions + comments + shares),
                    int(reactions),
                    int(comments),
                    int(shares),
                    int(p.m("clicks") * 2),
                    int(p.m("clicks")),
                    int(p.m("clicks")),
                ]
            )
        else:
            rows.append(
                [
                    p.id,
                    "1789",
                    "rennesmetropole",
                    page,
                    p.text,
                    "",
                    when,
                    f"https://www.instagram.com/p/{p.id}/",
                    "IG image",
                    "",
                    lifetime,
                    int(p.m("views")),
                    int(p.m("reach")),
                    int(p.m("likes")),
                    int(p.m("shares")),
                    int(p.m("followers_gained")),
                    int(p.m("comments")),
                    int(p.m("saves")),
                ]
            )
    return write_csv(path, rows, encoding=encoding)


def meta_daily(path: Path, title: str, days: Sequence[Day], metric: str, lang: str = "en") -> Path:
    """A Meta Business Suite daily file: UTF-16 with a byte-order mark, a `sep=,` first line,
    the metric's title on the second line, then "Date","Primary"."""
    value_header = "Principal" if lang == "fr" else "Primary"
    rows: list[list[Any]] = [[title], ["Date", value_header]]
    for d in days:
        rows.append([f"{d.day.isoformat()}T00:00:00", int(d.m(metric))])
    return write_csv(path, rows, encoding="utf-16", sep_line=True)


# --- LinkedIn ---------------------------------------------------------------------------------

LINKEDIN_METRIC_HEADERS = {
    "en": [
        "Date",
        "Impressions (organic)",
        "Impressions (sponsored)",
        "Impressions (total)",
        "Unique impressions (organic)",
        "Clicks (organic)",
        "Clicks (sponsored)",
        "Clicks (total)",
        "Reactions (organic)",
        "Reactions (sponsored)",
        "Reactions (total)",
        "Comments (organic)",
        "Comments (sponsored)",
        "Comments (total)",
        "Reposts (organic)",
        "Reposts (sponsored)",
        "Reposts (total)",
        "Engagement rate (organic)",
        "Engagement rate (sponsored)",
        "Engagement rate (total)",
    ],
    "fr": [
        "Date",
        "Impressions (naturelles)",
        "Impressions (sponsorisées)",
        "Impressions (total)",
        "Impressions uniques (naturelles)",
        "Clics (naturels)",
        "Clics (sponsorisés)",
        "Clics (total)",
        "Réactions (naturelles)",
        "Réactions (sponsorisées)",
        "Réactions (total)",
        "Commentaires (naturels)",
        "Commentaires (sponsorisés)",
        "Commentaires (total)",
        "Republications (naturelles)",
        "Republications (sponsorisées)",
        "Republications (total)",
        "Taux d'engagement (naturel)",
        "Taux d'engagement (sponsorisé)",
        "Taux d'engagement (total)",
    ],
}
LINKEDIN_POST_HEADERS = {
    "en": [
        "Post title",
        "Post link",
        "Post type",
        "Campaign name",
        "Posted by",
        "Created date",
        "Campaign start date",
        "Campaign end date",
        "Audience",
        "Impressions",
        "Views",
        "Offsite Views",
        "Clicks",
        "Click through rate (CTR)",
        "Likes",
        "Comments",
        "Reposts",
        "Follows",
        "Engagement rate",
        "Content Type",
    ],
    "fr": [
        "Titre de la publication",
        "Lien de la publication",
        "Type de publication",
        "Nom de la campagne",
        "Publié par",
        "Date de création",
        "Date de début de la campagne",
        "Date de fin de la campagne",
        "Audience",
        "Impressions",
        "Vues",
        "Vues hors site",
        "Clics",
        "Taux de clics (CTR)",
        "J'aime",
        "Commentaires",
        "Republications",
        "Abonnements",
        "Taux d'engagement",
        "Type de contenu",
    ],
}
LINKEDIN_SHEETS = {"en": ("Metrics", "All posts"), "fr": ("Indicateurs", "Toutes les publications")}


def linkedin_sheets(
    days: Sequence[Day], posts: Sequence[Post], lang: str
) -> list[tuple[str, list[list[Any]]]]:
    """The two sheets of LinkedIn's content export: a description row, the header, data."""
    date_format = "%d/%m/%Y" if lang == "fr" else "%m/%d/%Y"
    metrics: list[list[Any]] = [
        [
            "Indicateurs agrégés pour tous les posts"
            if lang == "fr"
            else "Aggregated metrics for all posts, by day"
        ],
        LINKEDIN_METRIC_HEADERS[lang],
    ]
    for d in days:
        organic = d.m("impressions")
        engaged = d.m("clicks") + d.m("likes") + d.m("comments") + d.m("shares")
        metrics.append(
            [
                d.day.strftime(date_format),
                organic,
                0,
                organic,
                d.m("reach"),
                d.m("clicks"),
                0,
                d.m("clicks"),
                d.m("likes"),
                0,
                d.m("likes"),
                d.m("comments"),
                0,
                d.m("comments"),
                d.m("shares"),
                0,
                d.m("shares"),
                _rate(engaged, organic) / 100,
                0,
                _rate(engaged, organic) / 100,
            ]
        )
    all_posts: list[list[Any]] = [
        [
            "Statistiques de toutes vos publications"
            if lang == "fr"
            else "Metrics for all your posts"
        ],
        LINKEDIN_POST_HEADERS[lang],
    ]
    for p in posts:
        impressions = p.m("impressions")
        all_posts.append(
            [
                p.text,
                f"https://www.linkedin.com/feed/update/urn:li:activity:{p.id}",
                "Organic",
                "",
                "Rennes Métropole",
                p.when.strftime(date_format),
                "",
                "",
                "All followers",
                impressions,
                p.m("views"),
                0,
                p.m("clicks"),
                _rate(p.m("clicks"), impressions) / 100,
                p.m("likes"),
                p.m("comments"),
                p.m("shares"),
                p.m("followers_gained"),
                _rate(p.m("clicks") + p.m("likes") + p.m("comments"), impressions) / 100,
                "Image",
            ]
        )
    names = LINKEDIN_SHEETS[lang]
    return [(names[0], metrics), (names[1], all_posts)]


def linkedin_workbook(
    path: Path, days: Sequence[Day], posts: Sequence[Post], lang: str = "en"
) -> Path:
    """LinkedIn's page content export as `.xlsx` (openpyxl) or `.xls` (xlwt), by the suffix."""
    sheets = linkedin_sheets(days, posts, lang)
    if path.suffix == ".xls":
        import xlwt

        book = xlwt.Workbook(encoding="utf-8")
        for name, rows in sheets:
            sheet = book.add_sheet(name)
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    sheet.write(r, c, value)
        book.save(str(path))
        return path
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets:
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


# --- YouTube Studio ---------------------------------------------------------------------------

YOUTUBE_TABLE_HEADERS = {
    "en": [
        "Content",
        "Video title",
        "Video publish time",
        "Duration",
        "Views",
        "Watch time (hours)",
        "Subscribers",
        "Impressions",
        "Impressions click-through rate (%)",
        "Average view duration",
    ],
    "fr": [
        "Contenu",
        "Titre de la vidéo",
        "Heure de publication de la vidéo",
        "Durée",
        "Vues",
        "Durée de visionnage (heures)",
        "Abonnés",
        "Impressions",
        "Taux de clics des impressions (%)",
        "Durée moyenne de visionnage",
    ],
}


def youtube_table(path: Path, videos: Sequence[Post], lang: str = "en") -> Path:
    """`Table data.csv`: the first data row is the "Total" of every column."""
    rows: list[list[Any]] = [YOUTUBE_TABLE_HEADERS[lang]]

    def total(name: str) -> float:
        return sum(v.m(name) for v in videos)

    rows.append(
        [
            "Total",
            "",
            "",
            "",
            int(total("views")),
            round(total("watch_hours"), 4),
            int(total("followers_gained")),
            int(total("impressions")),
            5.1,
            "0:01:40",
        ]
    )
    for v in videos:
        published = (
            f"{v.when.day} {FRENCH_MONTHS[v.when.month - 1][:4]}. {v.when.year}"
            if lang == "fr"
            else v.when.strftime("%b %d, %Y")
        )
        rows.append(
            [
                v.id,
                v.text,
                published,
                95,
                int(v.m("views")),
                round(v.m("watch_hours"), 4),
                int(v.m("followers_gained")),
                int(v.m("impressions")),
                4.2,
                "0:01:35",
            ]
        )
    return write_csv(path, rows)


def youtube_totals(path: Path, days: Sequence[Day], lang: str = "en") -> Path:
    """`Totals.csv`: the channel's views a day."""
    rows: list[list[Any]] = [["Date", "Vues" if lang == "fr" else "Views"]]
    rows += [[d.day.isoformat(), int(d.m("views"))] for d in days]
    return write_csv(path, rows)


def youtube_chart(path: Path, per_video: Sequence[tuple[str, Day]], lang: str = "en") -> Path:
    """`Chart data.csv`: a row per day and video."""
    header = (
        [
            "Date",
            "Contenu",
            "Titre de la vidéo",
            "Heure de publication de la vidéo",
            "Durée",
            "Vues",
        ]
        if lang == "fr"
        else ["Date", "Content", "Video title", "Video publish time", "Duration", "Views"]
    )
    rows: list[list[Any]] = [header]
    rows += [
        [d.day.isoformat(), vid, f"Video {vid}", "", 95, int(d.m("views"))] for vid, d in per_video
    ]
    return write_csv(path, rows)


# --- TikTok Studio ----------------------------------------------------------------------------


def tiktok_day(day: date, lang: str) -> str:
    """TikTok writes days without a year: "January 15" / "15 janvier"."""
    if lang == "fr":
        return f"{day.day} {FRENCH_MONTHS[day.month - 1]}"
    return f"{ENGLISH_MONTHS[day.month - 1]} {day.day}"


def tiktok_overview(path: Path, days: Sequence[Day], lang: str = "en") -> Path:
    header = (
        ["Date", "Vues de vidéos", "Vues du profil", "J'aime", "Commentaires", "Partages"]
        if lang == "fr"
        else ["Date", "Video Views", "Profile Views", "Likes", "Comments", "Shares"]
    )
    rows: list[list[Any]] = [header]
    for d in days:
        rows.append(
            [
                tiktok_day(d.day, lang),
                int(d.m("views")),
                int(d.m("profile_visits")),
                int(d.m("likes")),
                int(d.m("comments")),
                int(d.m("shares")),
            ]
        )
    return write_csv(path, rows)


def tiktok_followers(path: Path, days: Sequence[Day], lang: str = "en") -> Path:
    header = (
        ["Date", "Abonnés", "Différence d'abonnés par rapport à la veille"]
        if lang == "fr"
        else ["Date", "Followers", "Difference in followers from previous day"]
    )
    rows: list[list[Any]] = [header]
    rows += [
        [tiktok_day(d.day, lang), int(d.m("followers")), int(d.m("followers_gained"))] for d in days
    ]
    return write_csv(path, rows)


def tiktok_content(path: Path, videos: Sequence[Post], lang: str = "en") -> Path:
    header = (
        [
            "Heure de publication",
            "Titre de la vidéo",
            "Lien de la vidéo",
            "Total des j'aime",
            "Total des commentaires",
            "Total des partages",
            "Vues totales",
        ]
        if lang == "fr"
        else [
            "Time",
            "Video title",
            "Video link",
            "Total likes",
            "Total comments",
            "Total shares",
            "Total views",
        ]
    )
    rows: list[list[Any]] = [header]
    for v in videos:
        rows.append(
            [
                tiktok_day(v.when.date(), lang),
                v.text,
                f"https://www.tiktok.com/@rennes/video/{v.id}",
                int(v.m("likes")),
                int(v.m("comments")),
                int(v.m("shares")),
                int(v.m("views")),
            ]
        )
    return write_csv(path, rows)


# --- the Rennes Métropole flood campaign --------------------------------------------------------

FLOOD_TAG = "#CrueVilaine"
FLOOD_START = date(2025, 1, 24)
FLOOD_END = date(2025, 2, 6)
FLOOD_VIEWS = {"facebook": 740_000, "linkedin": 496_000, "instagram": 296_000, "x": 150_000}
"""The brief's example: 1.7 million views — Facebook 740,000, LinkedIn 496,000 (impressions),
Instagram 296,000, X 150,000 (impressions)."""


def _split(total: int, parts: int) -> list[int]:
    """`total` in `parts` unequal, deterministic shares that add up exactly."""
    weights = [parts - i for i in range(parts)]
    shares = [total * w // sum(weights) for w in weights]
    shares[0] += total - sum(shares)
    return shares


def flood_posts(platform: str, *, first_id: int = 1000) -> list[Post]:
    """The campaign's posts on one platform, plus one before it and one without its hashtag
    (which the campaign must leave out)."""
    metric = "impressions" if platform in ("x", "linkedin") else "views"
    posts = []
    for index, value in enumerate(_split(FLOOD_VIEWS[platform], 5)):
        when = datetime.combine(FLOOD_START + timedelta(days=2 * index), datetime.min.time())
        posts.append(
            Post(
                str(first_id + index),
                when.replace(hour=9 + index),
                f"Crue de la Vilaine : point de situation n°{index + 1} {FLOOD_TAG} #Rennes",
                {
                    metric: value,
                    "reach": value * 6 // 10,
                    "likes": value // 100,
                    "comments": value // 1000,
                    "shares": value // 500,
                    "clicks": value // 200,
                    "engagements": value // 100 + value // 1000 + value // 500 + value // 200,
                },
            )
        )
    before = datetime.combine(FLOOD_START - timedelta(days=10), datetime.min.time())
    posts.append(Post(str(first_id + 90), before, f"Avant la crue {FLOOD_TAG}", {metric: 9999}))
    inside = datetime.combine(FLOOD_START + timedelta(days=3), datetime.min.time())
    posts.append(Post(str(first_id + 91), inside, "Marché de Noël : bilan #Rennes", {metric: 7777}))
    return posts


def flood_exports(folder: Path, lang: str = "fr") -> list[Path]:
    """The four platforms' exports of the flood period, as the communication team downloads
    them: Facebook and Instagram post exports, LinkedIn's workbook, X's content CSV."""
    folder.mkdir(parents=True, exist_ok=True)
    span = f"{(FLOOD_START - timedelta(days=14)).isoformat()}_{FLOOD_END.isoformat()}"
    linkedin_days = [
        Day(FLOOD_START + timedelta(days=i), {"impressions": 30_000 + i, "clicks": 100})
        for i in range(14)
    ]
    return [
        meta_posts(folder / "facebook-posts.csv", "facebook", flood_posts("facebook"), lang),
        meta_posts(
            folder / "instagram-posts.csv",
            "instagram",
            flood_posts("instagram", first_id=3000),
            lang,
        ),
        linkedin_workbook(
            folder / "rennes-metropole_content.xlsx",
            linkedin_days,
            flood_posts("linkedin", first_id=7_100_000_000),
            lang,
        ),
        x_content(
            folder / f"account_analytics_content_{span}.csv",
            flood_posts("x", first_id=1_880_000_000_000_000_000),
            lang,
        ),
    ]
