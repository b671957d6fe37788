"""Organisation logic shared by the CLI, the web and the tasks: membership, scoping, audit."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _

from envol.orgs.models import AuditEvent, Membership, Organisation, Role

User = get_user_model()
AnyUser = Any  # a request's user: authenticated or anonymous


class OrgError(Exception):
    """A user-facing mistake (unknown organisation, duplicate slug, bad role)."""


RESERVED_SLUGS = frozenset(
    {"admin", "accounts", "o", "i18n", "static", "media", "healthz", "api", "leaving"}
    | {"about", "brand"}  # the instance's pages, the organisations' colours and logos
    | {"signin", "oauth"}  # personal spaces: signing in with a network
    | {"l"}  # short links
)
"""Top-level paths of envol: an organisation with one of these slugs could not have a public
page at /<slug>/ (the route would be shadowed), so such slugs are refused."""


def check_slug(slug: str) -> None:
    """Raise OrgError when `slug` is empty or would clash with one of envol's own paths."""
    if not slug:
        raise OrgError(_("The slug must contain letters or digits."))
    if slug.lower() in RESERVED_SLUGS:
        raise OrgError(
            _("The slug '%(slug)s' is reserved by envol (%(reserved)s): choose another one.")
            % {"slug": slug, "reserved": ", ".join(sorted(RESERVED_SLUGS))}
        )


def audit(
    action: str,
    *,
    organisation: Organisation | None,
    actor: Any = None,
    obj: Model | None = None,
    **detail: Any,
) -> AuditEvent:
    """Record who did what on which object. Never put secrets in `detail`."""
    return AuditEvent.objects.create(
        organisation=organisation,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        detail=detail,
    )


@transaction.atomic
def create_organisation(
    slug: str, name: str, kind: str = Organisation.Kind.CITY, actor: Any = None, website: str = ""
) -> Organisation:
    slug = slugify(slug)
    check_slug(slug)
    if kind not in Organisation.Kind.values:
        raise OrgError(
            _("Unknown kind '%(kind)s': use one of %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(Organisation.Kind.values)}
        )
    if Organisation.objects.filter(slug=slug).exists():
        raise OrgError(
            _("An organisation with the slug '%(slug)s' already exists.") % {"slug": slug}
        )
    org = Organisation.objects.create(slug=slug, name=name, kind=kind, website=website)
    audit("org.create", organisation=org, actor=actor, obj=org)
    return org


def get_organisation(slug: str) -> Organisation:
    try:
        return Organisation.objects.get(slug=slug)
    except Organisation.DoesNotExist:
        raise OrgError(
            _(
                "No organisation with the slug '%(slug)s'. "
                'Create it with: envol org create %(slug)s --name "…"'
            )
            % {"slug": slug}
        ) from None


@transaction.atomic
def add_member(
    org: Organisation, email: str, role: str, password: str | None = None, actor: Any = None
) -> Membership:
    """Create the user if needed (email is the login) and give them `role` in `org`."""
    if role not in Role.values:
        raise OrgError(
            _("Unknown role '%(role)s': use one of %(roles)s.")
            % {"role": role, "roles": ", ".join(Role.values)}
        )
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(username=email).first()
    if user is None:
        user = User.objects.create_user(username=email, email=email, password=password)
    elif password:
        user.set_password(password)
        user.save(update_fields=["password"])
    membership, _created = Membership.objects.update_or_create(
        organisation=org, user=user, defaults={"role": role}
    )
    audit("member.set_role", organisation=org, actor=actor, obj=membership, email=email, role=role)
    return membership


def organisations_of(user: AnyUser) -> QuerySet[Organisation]:
    """Every query for org data starts here: only the organisations the user belongs to."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(memberships__user=user).order_by("name")


def membership_for(user: AnyUser, slug: str) -> Membership:
    """The user's membership in the organisation `slug`, or 404 — never 403, so that the
    existence of other organisations is not revealed."""
    if not user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.select_related("organisation")
        .filter(user=user, organisation__slug=slug)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def request_memberships(request: HttpRequest) -> list[Membership]:
    """The signed-in member's memberships with their organisations, by organisation name, read
    once per request: the view's membership (org_view), the header's organisation switcher and
    the current organisation share this one query."""
    found: list[Membership] | None = getattr(request, "_envol_memberships", None)
    if found is None:
        user: AnyUser = request.user  # signed in: org_view and the middleware checked
        found = list(
            Membership.objects.filter(user=user)
            .select_related("organisation")
            .order_by("organisation__name", "organisation_id")
        )
        request._envol_memberships = found  # type: ignore[attr-defined]
    return found


def request_organisations(request: HttpRequest) -> list[Organisation]:
    """`organisations_of(request.user)`, from `request_memberships`."""
    return [m.organisation for m in request_memberships(request)]


ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])


def org_view(min_role: str = Role.VIEWER) -> Callable[[ViewFunc], ViewFunc]:
    """Decorator for views under /o/<org>/…: sends a signed-out visitor to the sign-in page
    (then back), resolves the membership (404 if none), checks the role (404 too: same answer
    for 'not yours' and 'not allowed'), sets request.organisation."""

    def decorate(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(request: HttpRequest, org: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                # Said for every slug alike, existing or not: nothing leaks.
                return redirect_to_login(request.get_full_path())
            membership = next(
                (m for m in request_memberships(request) if m.organisation.slug == org), None
            )
            if membership is None or not membership.can(min_role):
                raise Http404
            request.organisation = membership.organisation  # type: ignore[attr-defined]
            request.membership = membership  # type: ignore[attr-defined]
            if request.session.get("current_org") != org:
                # Only a change is written: assigning marks the session modified, and every
                # page view would otherwise rewrite its row (one UPDATE per GET per user).
                request.session["current_org"] = org
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


@transaction.atomic
def update_organisation(
    org: Organisation, *, name: str, kind: str, website: str, actor: Any = None
) -> Organisation:
    """Change what members may change; the slug (the public address) stays."""
    org.name, org.kind, org.website = name, kind, website
    org.full_clean(exclude=["slug"])
    org.save(update_fields=["name", "kind", "website"])
    audit(
        "org.update", organisation=org, actor=actor, obj=org, name=name, kind=kind, website=website
    )
    return org


@transaction.atomic
def update_brand(
    org: Organisation,
    *,
    colour: str,
    logo_png: bytes | None = None,
    remove_logo: bool = False,
    actor: Any = None,
) -> Organisation:
    """Set the colour (already checked by `brand.clean_colour`) and replace or remove the logo
    (already re-encoded by `brand.clean_logo`)."""
    from django.utils import timezone

    from envol.orgs.models import OrganisationLogo

    changed = colour != org.colour or logo_png is not None or (remove_logo and org.has_logo)
    if not changed:
        return org
    org.colour = colour
    if logo_png is not None:
        OrganisationLogo.objects.update_or_create(organisation=org, defaults={"png": logo_png})
        org.has_logo = True
    elif remove_logo:
        OrganisationLogo.objects.filter(organisation=org).delete()
        org.has_logo = False
    org.brand_updated_at = timezone.now()
    org.save(update_fields=["colour", "has_logo", "brand_updated_at"])
    audit(
        "org.brand",
        organisation=org,
        actor=actor,
        obj=org,
        colour=colour,
        logo="new" if logo_png is not None else ("removed" if remove_logo else "kept"),
    )
    return org
