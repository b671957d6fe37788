"""`envol manage send_digests`: send the weekly emails that are due now, here (the workers send
them on their own; this is the manual trigger)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from envol.people.digest import send_digests


class Command(BaseCommand):
    help = "Send the weekly emails of new matches that are due now (the workers also do it)."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_digests()
        self.stdout.write(ngettext("%(n)d email sent.", "%(n)d emails sent.", sent) % {"n": sent})
