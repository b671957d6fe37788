"""What other apps may listen to without portability knowing them.

`import_finished` is sent when an archive import ends (done or failed), inside the transaction
that stores its end: a listener's writes commit with it or not at all, so whatever waits for the
import (a person's follow-up job) is made due exactly when the import is."""

from django.dispatch import Signal

import_finished = Signal()
"""Sent with `archive_import` (the import, in its final state)."""
