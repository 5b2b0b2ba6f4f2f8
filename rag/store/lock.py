"""One writer per store directory: an flock on ``.lock``, released if the process dies."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from ..errors import StoreLocked


@contextlib.contextmanager
def write_lock(root: Path, wait: float = 0.0) -> Iterator[None]:
    """One writer per store directory (an flock on ``.lock``, released if the process dies).

    Waits up to ``wait`` seconds, then refuses clearly."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    path = root / ".lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    announced = False
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
                if time.monotonic() >= deadline:
                    then = (
                        f"it was still writing after {wait:g}s: wait longer (--wait SECONDS)"
                        if wait > 0
                        else "wait for it to finish, or pass --wait SECONDS to queue behind it"
                    )
                    raise StoreLocked(
                        f"another process (pid {holder}) is writing to the store {root}; {then}"
                    ) from None
                if not announced:  # say why nothing happens while we queue
                    print(
                        f"waiting for another process (pid {holder}) to finish writing to "
                        f"{root} (up to {wait:g}s)",
                        file=sys.stderr,
                        flush=True,
                    )
                    announced = True
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
