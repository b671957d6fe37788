"""Demo data for `envol demo`: one organisation and one admin, created once, reused after."""

from __future__ import annotations

from dataclasses import dataclass

from envol.orgs.models import Organisation, Role
from envol.orgs.services import add_member, create_organisation

DEMO_SLUG = "ville-demo"
DEMO_EMAIL = "demo@envol.test"
DEMO_PASSWORD = "envol-demo-2026"  # noqa: S105 - a published demo login, local only


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    org_slug: str


def seed_demo() -> DemoLogin:
    org = Organisation.objects.filter(slug=DEMO_SLUG).first() or create_organisation(
        DEMO_SLUG, "Ville de Démo-sur-Mer", Organisation.Kind.CITY
    )
    if not org.website:
        org.website = "https://www.ville-demo.test"
        org.save(update_fields=["website"])
    add_member(org, DEMO_EMAIL, Role.ADMIN, password=DEMO_PASSWORD)
    return DemoLogin(DEMO_EMAIL, DEMO_PASSWORD, org.slug)
