from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.test import Client

from envol.orgs.models import Organisation, Role
from envol.orgs.services import add_member, create_organisation

TODAY = date(2025, 3, 1)  # the import's day: tests never depend on the real date


@pytest.fixture
def org(db: None) -> Organisation:
    return create_organisation("rennes-metropole", "Rennes Métropole")


def member(org: Organisation, role: str) -> Client:
    email = f"{role}@rennes.test"
    add_member(org, email, role, password=f"pw-{role}-123456")
    client = Client()
    assert client.login(username=email, password=f"pw-{role}-123456")
    return client


@pytest.fixture
def editor(org: Organisation) -> Client:
    return member(org, Role.EDITOR)


@pytest.fixture
def viewer(org: Organisation) -> Client:
    return member(org, Role.VIEWER)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path
