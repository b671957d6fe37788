"""Messages of `envol insights` and `envol links` (the CLI lives outside the app; its strings
are kept here so that the app's catalogue translates them)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

IMPORTED = _("Import %(id)s — %(platform)s, %(label)s: %(counts)s")
FILE_IMPORTED = _("%(file)s imported: %(counts)s.")
PERIOD = _("Period: %(start)s → %(end)s")
CAMPAIGN = _("Campaign “%(name)s”")
CAMPAIGN_PERIOD = _("Period: %(start)s → %(end)s")
CAMPAIGN_TAGS = _("Hashtags: %(tags)s")
ANY = _("any")
NO_POSTS = _("No post matches this campaign yet: import the platforms' exports of its period.")
TOTAL_VIEWS = _("Total views: %(total)s (%(basis)s)")
VIEWS_AS = _("%(network)s: %(metric)s")
PROXY = _("proxy")
LINK_CREATED = _("Short link: %(url)s → %(target)s")
UNKNOWN_CAMPAIGN = _("No campaign “%(name)s” in %(org)s: create it with `envol insights campaign`.")
MENU_LABEL = _("Measure")
SNAPSHOT_FAILED = _("%(account)s: not read, nothing stored (%(error)s); the job tries again later")
NO_ACCOUNT = _("No Bluesky or Mastodon account is connected: connect one first.")


def snapshot_read(account: object, day: object, posts: int) -> str:
    return ngettext(
        "%(account)s: read on %(day)s, %(posts)s post of the period",
        "%(account)s: read on %(day)s, %(posts)s posts of the period",
        posts,
    ) % {"account": account, "day": day, "posts": posts}


def row_counts(rows: int, new: int, updated: int) -> str:
    """ "3 lignes, 1 nouvelle, 0 mise à jour": each count agrees with its word (ngettext)."""
    return ", ".join(
        (
            ngettext("%(n)s row", "%(n)s rows", rows) % {"n": rows},
            ngettext("%(n)s new", "%(n)s new", new) % {"n": new},
            ngettext("%(n)s updated", "%(n)s updated", updated) % {"n": updated},
        )
    )
