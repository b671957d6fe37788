"""Password reset: the pages render in French and the email carries a working link."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from envol.orgs.models import Role
from envol.orgs.services import add_member, create_organisation


@pytest.mark.django_db
def test_reset_flow_sets_a_new_password() -> None:
    org = create_organisation("ville-a", "Ville A")
    add_member(org, "agent@a.test", Role.EDITOR, password="ancien-mot-de-passe")
    client = Client()
    form = client.get("/accounts/password_reset/")
    assert form.status_code == 200 and "Réinitialisation du mot de passe" in form.content.decode()
    done = client.post("/accounts/password_reset/", {"email": "agent@a.test"}, follow=True)
    assert "Si un compte existe pour cette adresse" in done.content.decode()
    link = re.search(r"http://\S+/accounts/reset/\S+/", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    page = client.get(link.group(0).split("testserver", 1)[-1], follow=True)
    new = {
        "new_password1": "nouveau-mot-de-passe-2026",
        "new_password2": "nouveau-mot-de-passe-2026",
    }
    complete = client.post(page.redirect_chain[-1][0], new, follow=True)
    assert "Vous pouvez vous connecter" in complete.content.decode()
    assert client.login(username="agent@a.test", password="nouveau-mot-de-passe-2026")
