"""The sign-in form names what members type: their e-mail address, never a "username"."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("lang", "wanted", "unwanted"),
    [
        ("fr", "adresse électronique", "nom d’utilisateur"),
        ("en", "email address", "username"),
    ],
)
def test_a_wrong_password_names_the_email_address(lang: str, wanted: str, unwanted: str) -> None:
    get_user_model().objects.create_user(
        username="maire@ville.test", email="maire@ville.test", password="correct-horse-battery"
    )
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    response = client.post(
        "/accounts/login/", {"username": "maire@ville.test", "password": "wrong-password"}
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    assert wanted in errors.lower() and unwanted not in errors.lower(), errors
