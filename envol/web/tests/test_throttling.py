"""Sign-in throttling: per account and per client address, locks that grow, a clear message in
French and English, and administrators who unlock. Time never passes in these tests: the
recorded failures are moved back instead."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import F
from django.test import Client

from envol.web.throttling import lock_for

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def members() -> None:
    for email in ("maire@ville.test", "adjoint@ville.test", "dgs@ville.test"):
        get_user_model().objects.create_user(username=email, email=email, password=PASSWORD)


def sign_in(email: str, password: str, address: str = "203.0.113.7", lang: str = "fr") -> object:
    client = Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE=lang)
    return client.post("/accounts/login/", {"username": email, "password": password})


def signed_in(response: object) -> bool:
    return response.status_code == 302  # type: ignore[attr-defined]


def fail(email: str, times: int, address: str = "203.0.113.7") -> None:
    """Wrong passwords: the form again, and the lock page from the limit-th failure on."""
    for _ in range(times):
        response = sign_in(email, "wrong-password", address)
        assert response.status_code in (200, 429)  # type: ignore[attr-defined]


def test_an_account_is_locked_after_the_failure_limit_even_with_the_right_password() -> None:
    fail("maire@ville.test", 5, address="198.51.100.1")
    locked = sign_in("maire@ville.test", PASSWORD, address="198.51.100.2")  # another address
    assert locked.status_code == 429 and not signed_in(locked)  # type: ignore[attr-defined]
    page = locked.content.decode()  # type: ignore[attr-defined]
    assert "Trop d’échecs de connexion" in page and "30 minutes" in page
    assert signed_in(sign_in("adjoint@ville.test", PASSWORD, address="198.51.100.2"))


def test_an_address_is_locked_whatever_the_account() -> None:
    for email in ("maire@ville.test", "adjoint@ville.test"):
        fail(email, 2)
    fail("nobody@ville.test", 1)
    assert sign_in("dgs@ville.test", PASSWORD).status_code == 429  # type: ignore[attr-defined]
    assert signed_in(sign_in("dgs@ville.test", PASSWORD, address="192.0.2.44"))


def test_the_lock_grows_with_every_failure_past_the_limit() -> None:
    fail("maire@ville.test", 5)
    minutes = []
    for _ in range(3):
        page = sign_in("maire@ville.test", PASSWORD).content.decode()  # type: ignore[attr-defined]
        minutes.append(int(page.split(" minute")[0].rsplit(" ", 1)[-1]))
    assert minutes == [30, 60, 120]


def test_growing_lock_lengths() -> None:
    assert [lock_for(n) for n in (0, 4, 5, 6, 7)] == [
        timedelta(minutes=15),
        timedelta(minutes=15),
        timedelta(minutes=15),
        timedelta(minutes=30),
        timedelta(minutes=60),
    ]
    assert lock_for(50) == timedelta(days=1)


def test_the_lock_ends_when_its_time_has_passed() -> None:
    fail("maire@ville.test", 5)
    assert sign_in("maire@ville.test", PASSWORD).status_code == 429  # type: ignore[attr-defined]
    # 6 failures recorded: a 30-minute lock. Move them 31 minutes back.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=31))
    assert signed_in(sign_in("maire@ville.test", PASSWORD))


def test_the_message_is_in_english_too() -> None:
    fail("maire@ville.test", 5)
    page = sign_in("maire@ville.test", PASSWORD, lang="en").content.decode()  # type: ignore[attr-defined]
    assert "Too many failed sign-ins" in page and "ask an administrator to unlock it" in page


@pytest.mark.parametrize(
    ("command", "argument"),
    [("axes_reset_username", "maire@ville.test"), ("axes_reset_ip", "203.0.113.7")],
)
def test_an_administrator_unlocks_from_the_command_line(command: str, argument: str) -> None:
    fail("maire@ville.test", 5)
    assert sign_in("maire@ville.test", PASSWORD).status_code == 429  # type: ignore[attr-defined]
    call_command(command, argument)  # `envol manage axes_reset_username EMAIL`
    assert signed_in(sign_in("maire@ville.test", PASSWORD))


def test_an_administrator_unlocks_in_the_admin() -> None:
    get_user_model().objects.create_superuser("root@ville.test", "root@ville.test", PASSWORD)
    fail("maire@ville.test", 5)
    admin = Client()
    admin.login(username="root@ville.test", password=PASSWORD)
    attempts = admin.get("/admin/axes/accessattempt/")
    assert attempts.status_code == 200 and "maire@ville.test" in attempts.content.decode()
    (attempt,) = AccessAttempt.objects.all()
    admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert signed_in(sign_in("maire@ville.test", PASSWORD))
