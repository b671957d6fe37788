"""Messages of `envol effort`, `envol roi` and `envol report` (the CLI lives outside the app;
its strings are kept here so that the app's catalogue translates them)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

BAD_PERIOD = _("The period starts (%(start)s) after it ends (%(end)s): swap --from and --to.")
NO_FILE = _("%(path)s: no such file.")
EFFORT_ADDED = _("%(hours)s h on %(network)s on %(day)s (%(activity)s) logged.")
EFFORT_IMPORTED = ngettext_lazy(
    "%(file)s: %(n)s entry added.", "%(file)s: %(n)s entries added.", "n"
)
ROI_TITLE = _("Return on investment — %(org)s, %(start)s → %(end)s")
ROI_EMPTY = _("Nothing logged or measured in this period.")
ROI_LEGEND = _("— unknown (not measured, or no hour logged) · * proxy (own short links, …)")
ROI_COLUMNS = (
    ("hours", _("hours")),
    ("cost", _("cost €")),
    ("posts", _("posts")),
    ("views", _("views")),
    ("engagements", _("engagements")),
    ("clicks", _("clicks")),
    ("views_per_hour", _("views/h")),
    ("engagements_per_hour", _("engag./h")),
    ("clicks_per_hour", _("clicks/h")),
)
REPORT_WRITTEN = _("Report written to %(path)s (%(size)s bytes).")
MENU_LABEL = _("Decide")
