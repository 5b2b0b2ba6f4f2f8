"""How long past a deadline a test may wait on this machine, now.

A deadline test proves that a call ends near ``RAG_LLM_TIMEOUT`` instead of waiting on a server
that keeps the line open for a minute or more. On a busy machine (CI runs several jobs on two
cores) the work around the call itself queues for the CPU, so the allowance grows with the load
average above the core count. It stays far below the fakes' 60-120 s hangs, so a missing
deadline still fails.
"""

from __future__ import annotations

import os


def slack(base: float = 5.0) -> float:
    """``base`` seconds, plus 1.5 s for every runnable task the cores cannot take right now."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = 0.0
    return base + 1.5 * max(0.0, load - (os.cpu_count() or 1))
