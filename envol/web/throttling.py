"""Sign-in throttling, on django-axes: per account and per client address, locks that grow.

Why django-axes: maintained, made for Django 5.2, it records failures per account and per
address in the database (shared by every web process), shows them in the Django admin (deleting
a row unlocks) and brings `axes_reset_username` / `axes_reset_ip` commands. What envol adds:

- the lock's length grows with the failures: `ENVOL_LOGIN_FAILURE_LIMIT` failures lock for
  `ENVOL_LOGIN_LOCK_MINUTES`; every further failure (attempts during a lock count too) doubles
  it, up to a day. Axes counts failures newer than the cool-off, which is therefore also the lock:
  `cool_off` reads the failures already recorded for this account or address to size it;
- the answer to a locked sign-in: the sign-in page again (HTTP 429) with the reason, in the
  visitor's language, and what to do.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import Q, Sum
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import ngettext

LONGEST_LOCK = timedelta(days=1)


class ThrottlingBackend(AxesStandaloneBackend):  # type: ignore[misc]  # axes is untyped
    """Axes' check, first of `AUTHENTICATION_BACKENDS`. Sign-ins over the web always come with
    their request; a call without one (a shell, the test client's `login`) is not a sign-in
    attempt from the network and is left to the next backend instead of failing."""

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)  # type: ignore[no-any-return]


def lock_for(failures: int) -> timedelta:
    """How long `failures` recorded failures lock: none under the limit, then the first lock,
    doubled by each failure past the limit, at most a day."""
    limit = settings.ENVOL_LOGIN_FAILURE_LIMIT
    first = timedelta(minutes=settings.ENVOL_LOGIN_LOCK_MINUTES)
    if failures < limit:
        return first  # the window in which failures add up
    lock: timedelta = first * 2 ** min(failures - limit, 16)
    return min(lock, LONGEST_LOCK)


def recorded_failures(request: HttpRequest | None) -> int:
    """The most failures recorded in the last day for this request's account or its address."""
    from axes.helpers import get_client_username
    from axes.models import AccessAttempt

    if request is None:
        return 0
    recent = AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - LONGEST_LOCK)
    conditions = []
    username = get_client_username(request)
    if username:
        conditions.append(Q(username=username))
    address = getattr(request, "axes_ip_address", None)
    if address:
        conditions.append(Q(ip_address=address))
    totals = [
        recent.filter(condition).aggregate(total=Sum("failures_since_start"))["total"] or 0
        for condition in conditions
    ]
    return max(totals, default=0)


def cool_off(request: HttpRequest | None) -> timedelta:
    """`AXES_COOLOFF_TIME`: the window failures count in, and so the lock's length."""
    if request is None:
        return LONGEST_LOCK
    return lock_for(recorded_failures(request))


def locked_out(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """`AXES_LOCKOUT_CALLABLE`: the sign-in page again (429), saying why and for how long."""
    from envol.web.forms import EmailAuthenticationForm

    minutes = max(int(cool_off(request).total_seconds() // 60), 1)
    form = EmailAuthenticationForm(request, initial={"username": request.POST.get("username")})
    message = ngettext(
        "Too many failed sign-ins for this account or from this address: signing in is "
        "locked for %(minutes)d minute. Wait, or ask an administrator to unlock it.",
        "Too many failed sign-ins for this account or from this address: signing in is "
        "locked for %(minutes)d minutes. Wait, or ask an administrator to unlock it.",
        minutes,
    ) % {"minutes": minutes}
    # Shown where the page shows the form's own errors; the form is not validated again (that
    # would try the password once more and count one more failure).
    errors = form.error_class([message], error_class="nonfield")
    form._errors = ErrorDict({NON_FIELD_ERRORS: errors})  # type: ignore[attr-defined]
    context = {"form": form, "next": request.POST.get("next", "")}
    response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
