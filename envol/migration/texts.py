"""Messages of `envol migrate` (the CLI lives outside the app; its strings are kept here so
that the app's catalogue translates them)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

IMPORT_MISSING = _("Archive import %(id)s does not exist.")
JOB_MISSING = _("Migration %(id)s does not exist.")
TO_FOLLOW = _("To follow: %(n)s")
ALREADY = _("Already followed: %(n)s")
UNRESOLVED = _("Not found on this network: %(n)s")
PENDING_REVIEW = _("Found, waiting for your review: %(n)s")
REJECTED = _("Found, rejected: %(n)s")
DURATION = _("Time at the network's limits: %(d)s")
CREATED = ngettext_lazy(
    "Migration %(id)s created (%(n)s account); the workers run it.",
    "Migration %(id)s created (%(n)s accounts); the workers run it.",
    "n",
)
FOLLOW_IT = _("Follow it with: envol migrate status %(id)s")
FOLLOWING = _("Following")
WAITING = _("Network limit reached: resuming in %(d)s")
RESUMES_AT = _("Resumes at %(t)s")
