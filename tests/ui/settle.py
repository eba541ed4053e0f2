"""Lists and pages load off the GUI thread (ui/worker.py): a test waits for them to arrive."""

from __future__ import annotations

from ui import worker


def settle(qtbot, timeout: int = 10_000) -> None:
    """Wait until every operation started so far has delivered its result to its screen."""
    qtbot.waitUntil(lambda: worker.pending() == 0, timeout=timeout)
