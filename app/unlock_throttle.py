"""A growing wait after repeated failed unlocks, counted from the failures kept in the keyslot
file, so restarting the app does not reset it. Five failures are free; then 5 s, doubling to 5 min."""

from __future__ import annotations

from datetime import datetime

FREE_ATTEMPTS = 5
FIRST_DELAY_SECONDS = 5
MAX_DELAY_SECONDS = 300


def delay_for(failures: int) -> int:
    """Seconds to wait before the next attempt after `failures` failures in a row."""
    if failures < FREE_ATTEMPTS:
        return 0
    return min(FIRST_DELAY_SECONDS * 2 ** (failures - FREE_ATTEMPTS), MAX_DELAY_SECONDS)


def seconds_left(failed_unlocks: list[dict], now: datetime) -> int:
    """How long the unlock screen must still wait, given the recorded failures."""
    if not failed_unlocks:
        return 0
    wait = delay_for(len(failed_unlocks))
    if not wait:
        return 0
    try:
        last = datetime.fromisoformat(str(failed_unlocks[-1].get("at")))
    except (TypeError, ValueError):
        return wait
    elapsed = (now - last).total_seconds()
    return max(0, int(wait - elapsed + 0.999))
