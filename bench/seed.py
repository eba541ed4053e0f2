"""Seeded demo vaults for the benchmarks, cached outside the repository.

The cache folder is `$SPOCDESK_BENCH_CACHE` or `~/.cache/spocdesk-bench`; each vault lives in
`schema-<LATEST>/n<size>/` with its keyslot file, so a new schema (or size) seeds afresh and a
rerun reuses what is there. A vault is marked complete only after seeding finished (a `done`
file), so a run that was interrupted seeds again. Benchmarks work on a copy (`working_copy`)
so the cached vault stays exactly as seeded.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from app.vault.migrations import LATEST

USER = "spoc"
ADMIN = "admin"
PASSPHRASE = "bench kettle orbit marble 42"
SEED = 7


def cache_root() -> Path:
    base = os.environ.get("SPOCDESK_BENCH_CACHE")
    root = Path(base) if base else Path.home() / ".cache" / "spocdesk-bench"
    return root / f"schema-{LATEST}"


def vault_dir(size: int) -> Path:
    return cache_root() / f"n{size}"


def seeded_vault(size: int, log=print) -> tuple[Path, float | None]:
    """The cached vault of `size` requests (seeded now if missing); returns (path, seconds spent
    seeding or None when it came from the cache)."""
    folder = vault_dir(size)
    path = folder / "desk.vault"
    if (folder / "done").exists() and path.exists():
        return path, None
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    log(f"  seeding {size:,} requests into {folder} …")
    started = time.perf_counter()
    from app import demo, users
    from app.vault import Vault

    vault, _recovery = Vault.create(path, user=ADMIN, passphrase=PASSPHRASE, agency="DCON")
    try:
        users.add_user(vault, USER, "spoc", PASSPHRASE)
        demo.populate(vault, size, seed=SEED, user=USER)
    finally:
        vault.close()
    seconds = time.perf_counter() - started
    (folder / "done").write_text(f"{seconds:.1f}\n")
    log(f"  seeded {size:,} in {seconds:.1f} s")
    return path, seconds


def working_copy(path: Path, dest_folder: Path) -> Path:
    """A copy of a closed cached vault (and its keyslots) to measure on."""
    dest_folder.mkdir(parents=True, exist_ok=True)
    dest = dest_folder / path.name
    for suffix in ("", ".keys"):
        src = Path(str(path) + suffix)
        shutil.copyfile(src, Path(str(dest) + suffix))
    return dest
