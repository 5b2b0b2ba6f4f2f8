"""A generator run in a thread, so the page can repaint while it waits for the next event."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator


class Background:
    """Runs an event generator in a thread, so the UI can repaint while it waits for the next.

    ``get(timeout)`` returns the next event, ``("end", None)`` after the last one, or None when
    ``timeout`` passes first; an exception of the generator is raised by ``get``. ``stop`` asks
    the thread to close the generator (the user left) at its next event.
    """

    def __init__(self, events: Iterator) -> None:
        self._q: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._events = events
        threading.Thread(target=self._run, daemon=True, name="rag-ui-stream").start()

    def _run(self) -> None:
        try:
            for ev in self._events:
                if self._stop.is_set():
                    break
                self._q.put(("ok", ev))
        except BaseException as e:  # noqa: BLE001 - handed to the consumer, which re-raises it
            self._q.put(("raise", e))
        finally:
            close = getattr(self._events, "close", None)
            if close is not None:
                close()
            self._q.put(("ok", ("end", None)))

    def get(self, timeout: float | None) -> tuple[str, object] | None:
        try:
            status, value = self._q.get(timeout=timeout)
        except queue.Empty:
            return None
        if status == "raise":
            raise value
        return value

    def stop(self) -> None:
        self._stop.set()
