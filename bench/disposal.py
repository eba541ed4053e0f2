"""The disposal row (issue 19): the DPM disposing of 10,000 records against a raw DELETE of the same
rows plus VACUUM, measured in the same run on copies of the same vault — target ≤ 2×.

The figure is `app.retention.dispose(vault, refs, approve=True)` whole: the review that finds each
record's rule and holds, the plan (what goes with each record, the partners to tell), one
transaction deleting each request with its dispatches, responses, subjects no other request names,
drafts, retention decisions and links, blanking the free text of its disclosure-register rows, an
audit event per record, the full-text index merged so no deleted token stays in its pages, the
certificate; then `Database.scrub` (WAL checkpoint, VACUUM, checkpoint).

The floor is what SQLite needs for the same deletion with nothing around it: the ids of the same
rows are read before timing, then one transaction of `DELETE ... WHERE id = ?` (executemany) for
responses, dispatches, request links, the same subjects and the requests (the full-text triggers
fire as for any delete), then VACUUM.

The vault is a copy of the seeded 20,000-request vault in which the 10,000 oldest requests are
closed three years ago (done in both copies, before timing), with a Data Protection Manager.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from bench import seed

VAULT_SIZE = 20_000
DISPOSE = 10_000
DPM = "dpm"


def _prepare(path: Path, count: int) -> list[str]:
    """Close the `count` oldest requests long ago and add the DPM; returns their references."""
    from app import users
    from app.vault import Vault

    vault = Vault.open(path, user=seed.ADMIN, passphrase=seed.PASSPHRASE)
    try:
        if not vault.db.one("SELECT 1 FROM users WHERE name = ?", (DPM,)):
            users.add_user(vault, DPM, "dpm", seed.PASSPHRASE)
        from app.records import loads

        linked = {rid for b in vault.db.query("SELECT request_ids FROM breaches") for rid in loads(b["request_ids"])}
        rows = [r for r in vault.db.query("SELECT id, reference FROM requests ORDER BY seq") if r["id"] not in linked]
        rows = rows[:count]
        with vault.db.transaction():
            vault.db.executemany("UPDATE requests SET status = 'closed', updated_at = '2022-01-10T10:00:00+00:00'"
                                 " WHERE id = ?", [(r["id"],) for r in rows])
        vault.db.scrub()
        return [r["reference"] for r in rows]
    finally:
        vault.close()


def _floor(path: Path, refs: list[str]) -> float:
    from app.vault import Vault

    vault = Vault.open(path, user=seed.ADMIN, passphrase=seed.PASSPHRASE)
    try:
        db = vault.db
        wanted = set(refs)
        request_ids = [r["id"] for r in db.query("SELECT id, reference FROM requests") if r["reference"] in wanted]
        chosen = set(request_ids)
        dispatch_ids = [(r["id"],) for r in db.query("SELECT id, request_id FROM dispatches") if r["request_id"] in chosen]
        dispatch_set = {d for (d,) in dispatch_ids}
        response_ids = [(r["id"],) for r in db.query("SELECT id, dispatch_id FROM responses")
                        if r["dispatch_id"] in dispatch_set]
        links: dict[str, set[str]] = {}
        for r in db.query("SELECT request_id, subject_id FROM request_subjects"):
            links.setdefault(r["subject_id"], set()).add(r["request_id"])
        subject_ids = [(s,) for s, on in links.items() if on <= chosen]
        link_rows = [(r,) for r in request_ids]
        t = time.perf_counter()
        with db.transaction():
            db.executemany("DELETE FROM responses WHERE id = ?", response_ids)
            db.executemany("DELETE FROM dispatches WHERE id = ?", dispatch_ids)
            db.executemany("DELETE FROM request_subjects WHERE request_id = ?", link_rows)
            db.executemany("DELETE FROM subjects WHERE id = ?", subject_ids)
            db.executemany("DELETE FROM requests WHERE id = ?", link_rows)
        db.execute("VACUUM")
        return time.perf_counter() - t
    finally:
        vault.close()


def _app(path: Path, refs: list[str]) -> tuple[float, int]:
    from app import retention
    from app.vault import Vault

    vault = Vault.open(path, user=DPM, passphrase=seed.PASSPHRASE)
    try:
        t = time.perf_counter()
        cert = retention.dispose(vault, refs, approve=True)
        seconds = time.perf_counter() - t
        left = vault.db.scalar("SELECT count(*) FROM requests")
        assert len(cert.items) == len(refs), "every record was disposed of"
        return seconds, left
    finally:
        vault.close()


def measure(log=print, size: int = DISPOSE) -> list:
    from bench.run import Row

    started = time.perf_counter()
    cached, _ = seed.seeded_vault(VAULT_SIZE, log)
    work = Path(tempfile.mkdtemp(prefix="spocdesk-bench-dispose-"))
    log(f"measuring disposal of {size:,} records …")
    try:
        base = seed.working_copy(cached, work / "base")
        refs = _prepare(base, size)
        floor_copy = seed.working_copy(base, work / "floor")
        app_copy = seed.working_copy(base, work / "app")
        floor_s = _floor(floor_copy, refs)
        app_s, left = _app(app_copy, refs)
        sizes = {"floor_mb": floor_copy.stat().st_size / 2**20, "app_mb": app_copy.stat().st_size / 2**20}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    row = Row(f"dispose of {size:,} records", VAULT_SIZE, app_s, floor_s, "s", "≤ 2×",
              samples={"app": [app_s], "floor": [floor_s], "left": left, **sizes,
                       "wall_s": time.perf_counter() - started},
              note=f"{size / app_s:.0f} records/s; floor: DELETE of the same rows + VACUUM; "
                   f"vault after {sizes['app_mb']:.0f} MB (floor {sizes['floor_mb']:.0f} MB)").finish()
    row.met = row.ratio <= 2.0
    return [row]


if __name__ == "__main__":  # `.venv/bin/python -m bench.disposal [N]`: this row alone
    import os
    import sys

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from bench.run import format_table

    rows = measure(size=int(sys.argv[1]) if len(sys.argv) > 1 else DISPOSE)
    print(format_table(rows))
