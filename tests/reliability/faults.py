"""Shared helpers of the fault-injection suite (tests/reliability).

`pytest tests/reliability` runs a quick few trials of each fault (CI); `--trials N` runs N of
each (the long run). Each trial draws its fault point from a generator seeded by the trial
number, so a failing trial can be rerun alone (`-k "trial-17"` style ids: `[17]`).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

QUICK = {"kill": 3, "flip": 12, "truncate": 4, "backup": 1, "disk_full": 2}


def trial_count(config, kind: str) -> int:
    chosen = config.getoption("--trials")
    return QUICK[kind] if chosen is None else max(1, int(chosen))


def rng_for(kind: str, trial: int) -> random.Random:
    return random.Random(f"{kind}-{trial}")


def files_under(folder: Path) -> set[Path]:
    found = set()
    if not folder.exists():
        return found
    for root, _dirs, files in os.walk(folder):
        for name in files:
            found.add(Path(root) / name)
    return found
