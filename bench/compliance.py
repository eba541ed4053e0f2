"""The compliance rows (issue 20). First: the joint compliance report (13.1) over a whole year of a
100,000-request vault, as the DPM previews it — target ≤ 5 s.

The figure is `app.compliance.compliance_report(vault, FROM..TO)` whole: every section builder
(requests and response times per agency with median and 90th percentile, lawful bases, onward
disclosures, breaches and their clocks, suspensions, disputes, subject access and FOI, reviews and
training, reconciliation). The floor is the one SQL statement every report must run: reading the
sent time, close time and agency of every dispatch in the period (the response times), with
nothing computed from it.

Second, the reconciliation of two disclosure registers of 100,000 rows each (target ≤ 5 s):
`app.reconcile._check_document` on the partner's return (its JSON parsed and every row checked)
and `app.reconcile.reconcile` of the two row lists, with 1% of rows planted as mismatches. The
floor is parsing the same JSON and intersecting the two sets of keys.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from bench import seed

SIZE = 100_000
DPM = "dpm"
PERIOD = "2000-01-01..2099-12-31"


def measure(log=print, size: int = SIZE) -> list:
    from bench.run import Row
    from app import users
    from app.compliance import compliance_report, parse_scope
    from app.vault import Vault

    cached, _ = seed.seeded_vault(size, log)
    work = Path(tempfile.mkdtemp(prefix="spocdesk-bench-compliance-"))
    log(f"measuring the compliance report over {size:,} requests …")
    try:
        path = seed.working_copy(cached, work / "vault")
        admin = Vault.open(path, user=seed.ADMIN, passphrase=seed.PASSPHRASE)
        try:
            users.add_user(admin, DPM, "dpm", seed.PASSPHRASE)
        finally:
            admin.close()
        vault = Vault.open(path, user=DPM, passphrase=seed.PASSPHRASE)
        try:
            scope = parse_scope(vault, PERIOD)
            floors, figures = [], []
            for _ in range(3):
                started = time.perf_counter()
                vault.db.query("SELECT agency, sent_at, closed_at FROM dispatches WHERE sent_at >= ? AND sent_at < ?",
                               (scope.start_utc, scope.end_utc))
                floors.append(time.perf_counter() - started)
                started = time.perf_counter()
                report = compliance_report(vault, PERIOD)
                figures.append(time.perf_counter() - started)
            sent = report.sections[0].lines[0]
        finally:
            vault.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figure, floor = min(figures), min(floors)
    row = Row(f"compliance report over {size:,} requests", size, figure, floor, "s", "≤ 5 s",
              samples={"app": figures, "floor": floors},
              note=f"{len(report.sections)} sections; {sent[:60]}; floor: reading the period's dispatches").finish()
    row.met = figure <= 5.0
    return [row]


def measure_reconcile(log=print, rows: int = 100_000) -> list:
    import json
    import uuid

    from bench.run import Row
    from app.reconcile import _check_document, reconcile

    log(f"measuring the reconciliation of two registers of {rows:,} rows …")
    mine, theirs = [], []
    for n in range(rows):
        request_id = str(uuid.UUID(int=n))
        sent = f"2026-0{1 + n % 9}-{1 + n % 28:02d}T10:{n % 60:02d}:00+00:00"
        got = f"2026-0{1 + n % 9}-{1 + n % 28:02d}T11:{n % 60:02d}:00+00:00"
        direction = n % 2 == 0
        mine.append({"id": f"m{n}", "kind": "request" if direction else "response", "direction": "sent" if direction
                     else "received", "from": "DCON" if direction else "DWP", "to": "DWP" if direction else "DCON",
                     "at": sent if direction else got, "request_id": request_id,
                     "response_id": "" if direction else str(uuid.UUID(int=n + 10**9))})
        if n % 100 == 0:
            continue  # planted: missing on the other side
        theirs.append({**mine[-1], "id": f"t{n}", "direction": "received" if direction else "sent",
                       "at": got if direction else sent})
    raw = json.dumps({"format": "spocdesk-compliance-return/1", "from": "DWP", "to": "DCON",
                      "made_at": "2026-12-01T10:00:00+00:00", "rows": theirs, "heads": []}).encode()
    figures, floors = [], []
    for _ in range(3):
        started = time.perf_counter()
        doc = json.loads(raw)
        keys = {(r["kind"], r["request_id"], r["response_id"]) for r in doc["rows"]}
        _ = len(keys & {(r["kind"], r["request_id"], r["response_id"]) for r in mine})
        floors.append(time.perf_counter() - started)
        started = time.perf_counter()
        doc = _check_document(raw, "bench", "DWP", "DCON")
        found = reconcile(mine, doc["rows"], "DWP")
        figures.append(time.perf_counter() - started)
    figure, floor = min(figures), min(floors)
    row = Row(f"reconcile two registers of {rows:,} rows", rows, figure, floor, "s", "≤ 5 s",
              samples={"app": figures, "floor": floors, "mismatches": len(found)},
              note=f"{len(found):,} planted mismatches found; floor: parse the JSON, intersect the keys").finish()
    row.met = figure <= 5.0
    return [row]


if __name__ == "__main__":  # `.venv/bin/python -m bench.compliance [N]`: this row alone
    import sys

    for r in measure(size=int(sys.argv[1]) if len(sys.argv) > 1 else SIZE) + measure_reconcile():
        print(f"{r.measure}: {r.figure:.2f} s (floor {r.floor:.3f} s, ratio {r.ratio:.1f}×) met={r.met}")
