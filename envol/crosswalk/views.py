"""Review pages: the matches of the organisation's own imports, exports, own links and consent.

The crosswalk itself is never listed through the web: every query starts from the
organisation (its imports' matches, its own accounts' links)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from envol.crosswalk import services, sources, tallies
from envol.crosswalk.exports import ExportError, export
from envol.crosswalk.jobs import latest_matching, start_matching
from envol.crosswalk.models import Band, Decision, IdentityLink, LinkNetwork, Match, MatchTally
from envol.orgs.models import ConnectedAccount, Role
from envol.orgs.services import org_view
from envol.portability.models import ArchiveImport
from envol.web import themes

PAGE_SIZE = 50
REFRESH_SECONDS = 2  # while a matching runs, the list follows it (no JavaScript needed)
FILTERS = ("network", "band", "source", "decision")


def _imports(request: HttpRequest) -> QuerySet[ArchiveImport]:
    return (
        ArchiveImport.objects.filter(
            organisation=request.organisation,  # type: ignore[attr-defined]
            source_account__isnull=False,
        )
        .select_related("source_account")
        .order_by("-created_at", "-pk")
    )


def _selected_import(request: HttpRequest) -> ArchiveImport | None:
    """The import asked for; else the newest that has matches (a newer upload of the same
    account has none until they are computed, and must not hide the reviewed ones); else
    the newest."""
    imports = _imports(request)
    wanted = request.GET.get("import") or request.POST.get("import")
    if wanted:
        if not wanted.isdigit():
            raise Http404
        return get_object_or_404(imports, pk=int(wanted))
    with_matches = imports.filter(pk__in=MatchTally.objects.values("archive_import_id"))
    return with_matches.first() or imports.first()


def _listed_imports(request: HttpRequest) -> tuple[list[ArchiveImport], ArchiveImport | None]:
    """The imports of the list's selector, each marked `has_matches`, and the one selected
    as `_selected_import` selects it: one query for the page instead of three."""
    imports: list[ArchiveImport] = [
        *_imports(request).annotate(
            has_matches=Exists(MatchTally.objects.filter(archive_import_id=OuterRef("pk")))
        )
    ]
    wanted = request.GET.get("import")
    if wanted:
        if not wanted.isdigit():
            raise Http404
        chosen = next((i for i in imports if i.pk == int(wanted)), None)
        if chosen is None:
            raise Http404
        return imports, chosen
    selected = next((i for i in imports if i.has_matches), None)  # type: ignore[attr-defined]
    return imports, selected or (imports[0] if imports else None)


@dataclass
class KeysetPage:
    """One page of matches in the page's order (confidence, best first, then id), found from
    the key of a neighbouring row — never by an offset, which reads every row before it."""

    object_list: list[Match]
    count: int  # matches for the filters, from the tallies
    next_key: str = ""
    previous_key: str = ""
    first_shown: int = 0

    def __iter__(self) -> Iterator[Match]:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def _truncated(text: str, length: int = 120) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


# What `table_rows` and the page keys read of a match: no dates to parse, no keys to convert.
ROW_FIELDS = (
    *("x_id", "x_handle", "network", "remote_id", "remote_handle", "remote_url"),
    *("confidence", "band", "reasons", "candidates", "decision"),
)
BADGES = {Band.AUTO.value: "badge sm success", Band.REVIEW.value: "badge sm info"}
OTHER_BADGE = "badge sm warning"


def table_rows(matches: list[Match], can_decide: bool) -> SafeString:
    """The table's rows, rendered here rather than cell by cell in the template: a page holds
    50 rows, and the template engine resolving ~15 variables, tags and lazy translations per
    row was two thirds of the page's CPU (the matches page must answer under load,
    bench/web_load.py). Every value from the database goes through `escape` — the standard
    library's html.escape, which is what Django's own escaping calls, without its per-call
    lazy-string wrapper."""
    theme = settings.ENVOL_THEME
    networks = {n: escape(str(label)) for n, label in LinkNetwork.choices}
    bands = {b: escape(str(label)) for b, label in Band.choices}
    other_badge = escape(themes.classes(theme, OTHER_BADGE))
    badges = {band: escape(themes.classes(theme, names)) for band, names in BADGES.items()}
    decisions = {d: escape(str(label)) for d, label in Decision.choices}
    hidden = escape(themes.classes(theme, "sr-only"))
    rows = []
    for m in matches:
        label, remote_id, x_id = (
            escape(m.remote_handle or m.remote_id),
            escape(m.remote_id),
            escape(m.x_id),
        )
        select = (
            f'<td><input type="checkbox" name="match" value="{m.pk}" id="match-{m.pk}">'
            f'<label class="{hidden}" for="match-{m.pk}">{label}</label></td>'
            if can_decide
            else ""
        )
        if m.x_handle:
            handle = escape(m.x_handle)
            x_account = (
                f'<a href="https://x.com/{handle}" rel="noopener noreferrer">@{handle}</a>'
                f"<br><small>{x_id}</small>"
            )
        else:
            x_account = (
                f'<a href="https://x.com/i/user/{x_id}" rel="noopener noreferrer">{x_id}</a>'
            )
        found = (
            f'<a href="{escape(m.remote_url)}" rel="noopener noreferrer">{label}</a>'
            if m.remote_url
            else label
        )
        band = m.band
        rows.append(
            f"<tr>{select}<td>{x_account}</td>"
            f"<td>{networks.get(m.network) or escape(m.network)}</td>"
            f"<td>{found}<br><small>{remote_id}</small></td>"
            f"<td>{escape(number_format(m.confidence, 2))} "
            f'<span class="{badges.get(band, other_badge)}">'
            f"{bands.get(band) or escape(band)}</span></td>"
            f"<td>{escape(_truncated(m.reasons))}</td>"
            f"<td>{escape(_truncated(m.candidates)) if m.candidates else '—'}</td>"
            f'<td class="decision">{decisions.get(m.decision) or escape(m.decision)}</td></tr>'
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every value above escaped


def _key(match: Match) -> str:
    return f"{match.confidence!r}_{match.pk}"


def _parse_key(text: str | None) -> tuple[float, int] | None:
    if not text:
        return None
    confidence, _sep, pk = text.partition("_")
    try:
        return float(confidence), int(pk)
    except ValueError:
        raise Http404 from None


def keyset_page(
    matches: QuerySet[Match], count: int, after: str | None, before: str | None
) -> KeysetPage:
    """The page after (or before) the row whose key is given; the first without either.
    `confidence <= c` bounds the index range; the OR only sorts out ties on c."""
    if (edge := _parse_key(before)) is not None:
        confidence, pk = edge
        rows = list(
            matches.filter(
                Q(confidence__gte=confidence) & (Q(confidence__gt=confidence) | Q(pk__lt=pk))
            ).order_by("confidence", "-id")[: PAGE_SIZE + 1]
        )
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE][::-1]
        page = KeysetPage(rows, count, next_key=_key(rows[-1]) if rows else "")
        page.previous_key = _key(rows[0]) if more and rows else ""
        return page
    edge = _parse_key(after)
    if edge is not None:
        confidence, pk = edge
        matches = matches.filter(
            Q(confidence__lte=confidence) & (Q(confidence__lt=confidence) | Q(pk__gt=pk))
        )
    rows = list(matches.order_by("-confidence", "id")[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    page = KeysetPage(rows, count, next_key=_key(rows[-1]) if more else "")
    page.previous_key = _key(rows[0]) if edge is not None and rows else ""
    return page


@org_view(min_role=Role.VIEWER)
def match_list(request: HttpRequest) -> HttpResponse:
    imports, archive = _listed_imports(request)
    chosen = {f: request.GET.get(f, "") for f in FILTERS}
    page = KeysetPage([], 0)
    bands: dict[str, int] = {}
    sources_seen: list[str] = []
    others_with_matches: list[ArchiveImport] = []
    if archive is not None:
        scope = {"network": chosen["network"]} if chosen["network"] else {}
        tallied = tallies.ImportTallies(archive.pk)
        bands = tallied.counts("band", **scope)
        sources_seen = sorted(tallied.counts("source"))
        filters = {name: value for name, value in chosen.items() if value}
        matches = Match.objects.filter(archive_import=archive, **filters).only(*ROW_FIELDS)
        count = tallied.total(**filters)
        page = keyset_page(matches, count, request.GET.get("after"), request.GET.get("before"))
        if not tallied.total():
            account = archive.source_account_id
            others_with_matches = [
                other
                for other in imports
                if other.has_matches and other.source_account_id == account  # type: ignore[attr-defined]
            ]
    matching = latest_matching(archive) if archive is not None else None
    can_decide = request.membership.can(Role.REVIEWER)  # type: ignore[attr-defined]
    query = urlencode(
        {k: v for k, v in chosen.items() if v} | ({"import": archive.pk} if archive else {})
    )
    return render(
        request,
        "crosswalk/matches.html",
        {
            "org": request.organisation,  # type: ignore[attr-defined]
            "imports": imports,
            "archive": archive,
            "others_with_matches": others_with_matches,
            "chosen": chosen,
            "position": {key: request.GET.get(key, "") for key in ("after", "before")},
            "page": page,
            "rows": table_rows(page.object_list, can_decide),
            "query": query,
            "bands": [(b, label, bands.get(b, 0)) for b, label in Band.choices],
            "networks": LinkNetwork.choices,
            "decisions": Decision.choices,
            "sources": sources_seen,
            "can_decide": can_decide,
            "can_compute": request.membership.can(Role.EDITOR),  # type: ignore[attr-defined]
            "matching": matching,
            "refresh": REFRESH_SECONDS if matching is not None and matching.is_runnable else None,
        },
    )


def _back_to_list(request: HttpRequest, archive: ArchiveImport, **chosen: str) -> HttpResponse:
    """The list again, with the filters the form carried (never a URL taken from the form)."""
    kept = {f: request.POST.get(f, "") for f in (*FILTERS, "after", "before")} | chosen
    query = urlencode({"import": archive.pk} | {k: v for k, v in kept.items() if v})
    org = request.organisation  # type: ignore[attr-defined]
    return redirect(f"{reverse('crosswalk:matches', kwargs={'org': org.slug})}?{query}")


@org_view(min_role=Role.REVIEWER)
@require_POST
def decide(request: HttpRequest) -> HttpResponse:
    archive = _selected_import(request)
    action = request.POST.get("action")
    decision = {"accept": Decision.ACCEPTED, "reject": Decision.REJECTED}.get(action or "")
    ids = [int(i) for i in request.POST.getlist("match") if i.isdigit()]
    if archive is None or decision is None:
        raise Http404
    if not ids:
        messages.info(request, _("Select at least one match."))
    else:
        owned = list(
            Match.objects.filter(archive_import=archive, pk__in=ids).values_list("pk", flat=True)
        )
        changed = services.decide(request.organisation, owned, decision, request.user)  # type: ignore[attr-defined]
        messages.success(
            request,
            ngettext("%(n)d match updated.", "%(n)d matches updated.", changed) % {"n": changed},
        )
    return _back_to_list(request, archive)


@org_view(min_role=Role.EDITOR)
@require_POST
def compute(request: HttpRequest) -> HttpResponse:
    archive = _selected_import(request)
    network = request.POST.get("network", "")
    kind = request.POST.get("kind", "following")
    if (
        archive is None
        or network not in LinkNetwork.values
        or kind not in ("following", "follower")
    ):
        raise Http404
    start_matching(archive, network, kind, request.user)  # a worker runs it; the list follows
    return _back_to_list(request, archive, network=network)


@org_view(min_role=Role.VIEWER)
def download(request: HttpRequest) -> HttpResponse:
    archive = _selected_import(request)
    if archive is None:
        raise Http404
    try:
        content, media_type, name = export(
            archive, request.GET.get("network", ""), request.GET.get("format", "")
        )
    except ExportError:
        raise Http404 from None
    response = HttpResponse(content, content_type=f"{media_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@org_view(min_role=Role.VIEWER)
def own_links(request: HttpRequest) -> HttpResponse:
    """The links that concern this organisation: its own accounts, shared or not."""
    org = request.organisation  # type: ignore[attr-defined]
    accounts = ConnectedAccount.objects.filter(
        organisation=org, network__in=LinkNetwork.values
    ).select_related("self_link_consent")
    shared = IdentityLink.objects.asserted_by("self", org.pk)
    return render(
        request,
        "crosswalk/own_links.html",
        {
            "org": org,
            "accounts": [
                (a, getattr(getattr(a, "self_link_consent", None), "shared", False))
                for a in accounts
            ],
            "shared": shared,
            "x_account": sources.own_x_account(accounts[0]) if accounts else None,
            "can_change": request.membership.can(Role.ADMIN),  # type: ignore[attr-defined]
        },
    )


@org_view(min_role=Role.ADMIN)
@require_POST
def consent(request: HttpRequest) -> HttpResponse:
    org = request.organisation  # type: ignore[attr-defined]
    account_id = request.POST.get("account", "")
    if not account_id.isdigit():
        raise Http404
    account = get_object_or_404(ConnectedAccount, organisation=org, pk=int(account_id))
    shared = request.POST.get("shared") == "on"
    linked = sources.set_self_link_consent(account, shared, request.user)
    if shared and not linked:
        messages.info(
            request,
            _(
                "Consent saved; the link will appear once an X archive is imported "
                "and the account's identity is known."
            ),
        )
    elif shared:
        messages.success(request, _("The link between your accounts is shared with this instance."))
    else:
        messages.success(request, _("The link between your accounts is no longer shared."))
    return redirect("crosswalk:own_links", org=org.slug)
