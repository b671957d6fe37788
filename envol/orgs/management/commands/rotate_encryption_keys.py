"""Re-encrypt every stored credential with the newest key (the first of ENVOL_ENCRYPTION_KEYS)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import ngettext

from envol.orgs import crypto
from envol.orgs.models import ConnectedAccount


class Command(BaseCommand):
    help = __doc__
    leave_locale_alone = True  # `envol manage` speaks the command line's language

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        with transaction.atomic():
            for account in ConnectedAccount.objects.select_for_update().exclude(
                credentials_encrypted=""
            ):
                account.credentials_encrypted = crypto.rotate(account.credentials_encrypted)
                account.save(update_fields=["credentials_encrypted"])
                count += 1
        self.stdout.write(
            ngettext(
                "Re-encrypted %(n)d credential with the newest key.",
                "Re-encrypted %(n)d credentials with the newest key.",
                count,
            )
            % {"n": count}
        )
