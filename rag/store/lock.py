"""One writer per store directory: an flock on ``.lock``, released if the process dies."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import StoreLocked


@contextlib.contextmanager
def write_lock(
    root: Path, wait: float = 0.0, on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """One writer per store directory (an flock on ``.lock``, released if the process dies).

    Waits up to ``wait`` seconds, then refuses clearly; ``on_wait`` is called while it waits
    (to show it, or to give up by raising)."""
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
                if on_wait is not None:
                    on_wait()
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


class ReadersFirst:
    """Questions before writes: an ingest of this process pauses between its embedding batches
    while a question is being answered (they share the CPU and the embedding model)."""

    def __init__(self) -> None:
        self._n = 0
        self._cv = threading.Condition()

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        with self._cv:
            self._n += 1
        try:
            yield
        finally:
            with self._cv:
                self._n -= 1
                self._cv.notify_all()

    def yield_to_readers(self, limit: float = 10.0) -> None:
        """Wait (up to ``limit`` seconds) until no question is being answered."""
        with self._cv:
            self._cv.wait_for(lambda: self._n == 0, timeout=limit)


READERS = ReadersFirst()
