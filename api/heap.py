"""What the server keeps for its lifetime is kept out of the cyclic garbage collector's sight.

Modules, route tables, the rule pack and its compiled evaluators are hundreds of thousands of objects
that live as long as the process; requests only make short-lived garbage. A full collection walks all
of them: ≈ 100 ms on the project machine during which every request in the process waits, which is
what a p99 latency measures. Frozen (gc.freeze), they are never walked; everything made later is
collected as usual.
"""

from __future__ import annotations

import gc
import threading

_started = threading.Event()


def settle_at_start() -> None:
    """settle(), the first time a process starts a server (a test process starts hundreds: one full
    collection is enough)."""
    if not _started.is_set():
        _started.set()
        settle()


def settle() -> None:
    """Collect what is garbage now, then freeze what remains. Called once the server has started and
    again after the rule pack is swapped (unfreezing first, so the old pack's objects can be collected)."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
