"""Re-encrypt every stored credential with the newest key (the first of ENVOL_ENCRYPTION_KEYS)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from envol.orgs import crypto
from envol.orgs.models import ConnectedAccount


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        with transaction.atomic():
            for account in ConnectedAccount.objects.select_for_update().exclude(
                credentials_encrypted=""
            ):
                account.credentials_encrypted = crypto.rotate(account.credentials_encrypted)
                account.save(update_fields=["credentials_encrypted"])
                count += 1
        self.stdout.write(f"Re-encrypted {count} credential(s) with the newest key.")
