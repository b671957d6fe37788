"""Child processes that must not outlive their parent."""

from __future__ import annotations

import contextlib
import os
import signal


def die_with_parent() -> None:
    """In the child: ask Linux to SIGTERM us when the parent dies, however it dies (SIGKILL
    included, where no `finally` of the parent runs). Elsewhere a no-op: the parent's own
    clean-up still stops the child when it can."""
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def process_alive(pid: int) -> bool:
    """Whether a process of this machine with that pid exists (another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
