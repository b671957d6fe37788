"""Resume work whose worker died (SIGKILL, power loss, a container stopped).

A job's state lives in its rows, so resuming is only a matter of queueing its next step again.
Every worker runs this when it starts and then every minute: each app's recovery is idempotent
and skips what a live worker holds.
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections

log = logging.getLogger(__name__)
INTERVAL_S = 60.0


def recover_interrupted_work() -> int:
    """Queue again every job of every app whose task chain died; return how many."""
    from envol.history.services import recover_interrupted_builds
    from envol.migration.services import recover_stalled
    from envol.portability.services import recover_interrupted

    migrations = recover_stalled()
    imports = recover_interrupted()
    sites = recover_interrupted_builds()
    if migrations or imports or sites:
        log.info(
            "Resumed %d follow migration(s), %d archive import(s), %d archive site build(s).",
            migrations,
            imports,
            sites,
        )
    return migrations + imports + sites


def start_recovery_thread(stop: threading.Event) -> threading.Thread:
    def loop() -> None:
        while not stop.is_set():
            try:
                recover_interrupted_work()
            except Exception:  # never let recovery take the worker down
                log.exception("Recovering interrupted work failed; retrying in a minute.")
            finally:
                close_old_connections()
            stop.wait(INTERVAL_S)

    thread = threading.Thread(target=loop, name="envol-recovery", daemon=True)
    thread.start()
    return thread
