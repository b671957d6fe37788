"""`envol manage send_digests`: the weekly email of new matches (run it daily from a timer)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from envol.people.digest import send_digests


class Command(BaseCommand):
    help = "Send the weekly email of new matches to the people who asked for it."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_digests()
        self.stdout.write(ngettext("%(n)d email sent.", "%(n)d emails sent.", sent) % {"n": sent})
