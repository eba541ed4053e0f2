"""A full disk (RLIMIT_FSIZE in a subprocess: portable, no mount needed) and a read-only vault:
a clear error, nothing half-applied, and work resumes when space (or write access) returns."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from app.vault import Vault

from conftest import PASSPHRASE, REPO
from faults import rng_for, trial_count

HELPER = Path(__file__).with_name("helpers_fault.py")


def pytest_generate_tests(metafunc):
    if "full_trial" in metafunc.fixturenames:
        metafunc.parametrize("full_trial", range(trial_count(metafunc.config, "disk_full")))


def _helper(*args: str) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "SPOCDESK_TEST_PASSPHRASE": PASSPHRASE}
    proc = subprocess.run([sys.executable, str(HELPER), *args], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=120)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    return proc.stdout.splitlines()


def _rows(vault_path: Path) -> dict[int, str]:
    vault = Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    try:
        rows = {r["n"]: r["payload"] for r in vault.db.query("SELECT n, payload FROM fill_test")}
        events = [int(r["record_id"]) for r in
                  vault.db.query("SELECT record_id FROM audit_events WHERE action = 'test.fill' ORDER BY seq")]
        assert events == sorted(rows), "a row without its audit event, or the reverse: half-applied"
        report = vault.verify()
        assert report.ok, report.problems
        return rows
    finally:
        vault.close()


def test_a_full_disk_is_a_clear_error_loses_nothing_and_work_resumes(closed_vault, full_trial):
    from helpers_fault import payload

    extra = rng_for("disk_full", full_trial).randrange(60_000, 600_000)
    lines = _helper("fill", str(closed_vault), "alice", str(extra))
    errors = [line for line in lines if line.startswith("ERROR")]
    assert len(errors) == 1, lines[-5:]
    assert errors[0].startswith("ERROR DiskFull ") and "nothing was saved" in errors[0]
    at = lines.index(errors[0])
    before = [int(x) for x in lines[:at]]
    assert before == list(range(1, len(before) + 1)) and before, "nothing was written before the disk filled"
    assert lines[at + 1] == "SPACE"
    after = [int(x) for x in lines[at + 2:] if x.isdigit()]
    # The failed write left no trace; the same open vault carried on once there was room.
    assert after == [len(before) + 1, len(before) + 2, len(before) + 3]
    rows = _rows(closed_vault)
    assert sorted(rows) == before + after
    assert all(rows[n] == payload(n) for n in rows)
    # ... and a new session writes too.
    more = _helper("write", str(closed_vault), "alice", "2")
    assert [int(x) for x in more] == [after[-1] + 1, after[-1] + 2]


def _make_read_only(path: Path) -> str:
    """Read-only even for root (the immutable attribute) or by permissions; the way it was done."""
    if os.geteuid() == 0:
        if shutil.which("chattr") and subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0:
            return "immutable"
        pytest.skip("running as root where the immutable attribute cannot be set: a read-only file is writable")
    path.chmod(stat.S_IRUSR)
    return "mode"


def _make_writable(path: Path, how: str) -> None:
    if how == "immutable":
        subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_a_read_only_vault_is_a_clear_error_and_work_resumes(closed_vault, spocdesk):
    _helper("write", str(closed_vault), "alice", "3")
    before = _rows(closed_vault)
    size = closed_vault.stat().st_size
    how = _make_read_only(closed_vault)
    try:
        lines = _helper("write", str(closed_vault), "alice", "2")
        assert len(lines) == 1 and lines[0].startswith("ERROR InvalidInput ") and "read-only" in lines[0], lines
        result = spocdesk("status", closed_vault, "--user", "alice", "--passphrase-stdin", stdin=PASSPHRASE + "\n")
        assert result.code == 4 and "read-only" in result.err and "Traceback" not in result.err, result
        assert closed_vault.stat().st_size == size
    finally:
        _make_writable(closed_vault, how)
    assert _rows(closed_vault) == before
    lines = _helper("write", str(closed_vault), "alice", "2")
    assert [int(x) for x in lines] == [4, 5]
