"""Reliability: a writer killed with SIGKILL at random points loses nothing it reported as saved
and leaves nothing half-written (`--trials N`); no plaintext of user data reaches any file; the
core never loads the GUI toolkit."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

import app.logsetup as logsetup
from app.errors import SpocError, VaultBusy, VaultDamaged
from app.vault import Vault
from app.vault.backup import restore_backup
from app.vault.lockfile import lock_path

from conftest import OTHER_PASSPHRASE, PASSPHRASE, REPO
from desk_helpers import make_desk

from faults import files_under as _files_under, rng_for, trial_count

HELPER = Path(__file__).resolve().parents[1] / "helpers_writer.py"


def pytest_generate_tests(metafunc):
    if "kill_trial" in metafunc.fixturenames:
        metafunc.parametrize("kill_trial", range(trial_count(metafunc.config, "kill")))


def _payload(n: int) -> str:
    """Must match helpers_writer.payload."""
    return f"row {n:08d} " + "x" * (n % 97) + " end"


# ---- kill -9 during committed writes -------------------------------------------------------


def _run_writer_and_kill(vault_path: Path, lines: int, delay: float = 0.0) -> tuple[list[int], list[int], str]:
    """Start the writer, SIGKILL it `delay` seconds after `lines` numbers were read (so the kill
    lands anywhere in a transaction, its commit or its fsync); returns the numbers read before
    the kill, every number it printed (some still in the pipe), and its stderr."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "SPOCDESK_TEST_PASSPHRASE": PASSPHRASE}
    proc = subprocess.Popen(
        [sys.executable, str(HELPER), "write", str(vault_path), "alice"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
    )
    read: list[int] = []
    deadline = time.monotonic() + 60
    try:
        while len(read) < lines and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break  # the writer died on its own
            read.append(int(line))
    finally:
        if delay:
            time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    rest = proc.stdout.read()
    err = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    # Each number is one write() of "n\n"; ignore a line the kill could have cut short anyway.
    printed = read + [int(x) for x in rest.split("\n")[:-1] if x.strip()]
    return read, printed, err


def test_kill_9_during_writes_loses_nothing_committed(vault_path, kill_trial):
    vault, _ = Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")
    vault.close()
    rng = rng_for("kill", kill_trial)
    lines = rng.randint(1, 400)  # a random point in the run of writes ...
    delay = rng.random() * 0.01  # ... and a random moment after it
    read, printed, err = _run_writer_and_kill(vault_path, lines, delay)
    assert len(read) == lines, f"writer stopped early: {err[-2000:]}"
    assert printed == list(range(1, len(printed) + 1))
    # The crash left the lock file behind, and (in WAL mode) the log of committed writes.
    assert lock_path(vault_path).exists()

    vault = Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    try:
        rows = {r["n"]: r["payload"] for r in vault.db.query("SELECT n, payload FROM kill_test")}
        events = [
            int(r["record_id"])
            for r in vault.db.query("SELECT record_id FROM audit_events WHERE action = 'test.write' ORDER BY seq")
        ]
        # Every number reported as committed is there ...
        assert set(printed) <= set(rows)
        # ... at most one more (committed, killed before it was printed), in order, with no gaps.
        assert sorted(rows) == list(range(1, len(rows) + 1))
        assert len(rows) - len(printed) in (0, 1)
        # Nothing half-written: each row whole, each with its audit event from the same transaction.
        assert all(rows[n] == _payload(n) for n in rows)
        assert events == sorted(rows)
        report = vault.verify()
        assert report.ok, report.problems
    finally:
        vault.close()
    assert not lock_path(vault_path).exists()


def test_killed_writer_held_the_vault_until_it_died(vault_path):
    """While the writer runs, nobody else may open the vault."""
    vault, _ = Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")
    vault.close()
    env = {**os.environ, "PYTHONPATH": str(REPO), "SPOCDESK_TEST_PASSPHRASE": PASSPHRASE}
    proc = subprocess.Popen(
        [sys.executable, str(HELPER), "write", str(vault_path), "alice"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=REPO,
    )
    try:
        assert proc.stdout.readline().strip() == "1"
        with pytest.raises(VaultBusy):
            Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()
    Vault.open(vault_path, user="alice", passphrase=PASSPHRASE).close()


# ---- kill -9 during a rekey: the vault opens with the old keys or the new, never neither ----------

BOB_PASSPHRASE = "copper violin harbour 19"


def _rekey_desk(vault_path: Path) -> str:
    """alice (admin) and bob (spoc), with enough pages that a rekey takes a while; the recovery key."""
    from app import users

    vault, recovery_key = Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")
    users.add_user(vault, "bob", "spoc", BOB_PASSPHRASE)
    vault.db.execute("CREATE TABLE ballast (id INTEGER PRIMARY KEY, body TEXT)")
    with vault.db.transaction():
        vault.db.executemany("INSERT INTO ballast (body) VALUES (?)", [(f"ballast {i} " * 40,) for i in range(3000)])
    vault.close()
    return recovery_key


def _start_helper(vault_path: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "SPOCDESK_TEST_PASSPHRASE": PASSPHRASE}
    return subprocess.Popen([sys.executable, str(HELPER), args[0], str(vault_path), "alice", *args[1:]],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)


def _kill(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    out = proc.stdout.read()
    proc.stdout.close()
    proc.stderr.close()
    return out


def _opens_and_verifies(vault_path: Path, recovery_key: str) -> None:
    vault = Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    try:
        assert vault.meta("rekey_pending") is None, "the unlock finishes a rekey cut short"
        assert vault.db.scalar("SELECT count(*) FROM ballast") == 3000
        report = vault.verify()
        assert report.ok, report.problems
    finally:
        vault.close()
    Vault.open_with_recovery(vault_path, recovery_key).close()


def test_kill_9_during_rekeys_leaves_a_vault_that_opens(vault_path, kill_trial):
    recovery_key = _rekey_desk(vault_path)
    rng = rng_for("kill-rekey", kill_trial)
    proc = _start_helper(vault_path, "rekey")
    try:
        first = proc.stdout.readline()  # one rekey done: the next is under way
        assert first.strip() == "1", proc.stderr.read()[-2000:]
        time.sleep(rng.random() * 0.3)
    finally:
        _kill(proc)
    _opens_and_verifies(vault_path, recovery_key)
    Vault.open(vault_path, user="bob", passphrase=BOB_PASSPHRASE).close()


def test_kill_9_while_disabling_a_user_never_leaves_their_old_keys_working(vault_path, kill_trial):
    from app.vault.keyslots import keyslot_path

    recovery_key = _rekey_desk(vault_path)
    old_keys = keyslot_path(vault_path).read_bytes()
    rng = rng_for("kill-disable", kill_trial)
    proc = _start_helper(vault_path, "disable", "bob")
    try:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()[-2000:]
        time.sleep(rng.random() * 0.15)
    finally:
        out = _kill(proc)
    _opens_and_verifies(vault_path, recovery_key)
    vault = Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    try:
        disabled = not vault.db.scalar("SELECT active FROM users WHERE name = 'bob'")
    finally:
        vault.close()
    assert disabled or "done" not in out
    if disabled:
        with pytest.raises(SpocError):
            Vault.open(vault_path, user="bob", passphrase=BOB_PASSPHRASE)
        current = keyslot_path(vault_path).read_bytes()
        keyslot_path(vault_path).write_bytes(old_keys)
        with pytest.raises(VaultDamaged):
            Vault.open(vault_path, user="bob", passphrase=BOB_PASSPHRASE)
        keyslot_path(vault_path).write_bytes(current)
    else:
        Vault.open(vault_path, user="bob", passphrase=BOB_PASSPHRASE).close()


# ---- no plaintext anywhere ------------------------------------------------------------------

CANARY = "Canary Wharfinger 8817 Ouseburn"
CANARY_FORMS = {
    "utf-8": CANARY.encode("utf-8"),
    "utf-16-le": CANARY.encode("utf-16-le"),
    "utf-8 lower": CANARY.lower().encode("utf-8"),
}


@pytest.fixture
def file_logging(monkeypatch):
    """The desk's own log file switched on for this test (and off again afterwards)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    monkeypatch.setattr(logsetup, "_configured", False)
    logsetup.setup_logging()
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def test_no_plaintext_canary_in_any_file(tmp_path, isolated_dirs, file_logging):
    tmp_root = Path(tempfile.gettempdir())
    tmp_before = _files_under(tmp_root)

    folder = tmp_path / "desk"
    folder.mkdir()
    vault_path = folder / "desk.vault"
    vault, _ = Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")
    # As user data: audit reasons, a meta row and a table of its own, enough to fill pages.
    vault.audit("case.viewed", record_type="request", record_id="REQ-001", reason=CANARY)
    vault.db.execute("INSERT INTO meta (key, value) VALUES ('canary', ?)", (CANARY,))
    vault.db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    with vault.db.transaction():
        for i in range(500):
            vault.db.execute("INSERT INTO notes (body) VALUES (?)", (f"{CANARY} note {i} " * 4,))
    # Deleted data must not linger in free pages either (secure_delete).
    vault.db.execute("DELETE FROM notes WHERE id % 2 = 0")
    info = vault.backup(folder / "desk.backup")
    assert vault.verify().ok
    vault.close()
    restored = restore_backup(info.path, folder / "restored.vault", user="alice", passphrase=PASSPHRASE)
    assert restored.meta("canary") == CANARY  # the data really went through
    restored.close()
    for handler in logging.getLogger().handlers:
        handler.flush()

    scanned = set(_files_under(folder))
    for name in ("CONFIG", "DATA", "LOG"):
        scanned |= _files_under(Path(os.environ[f"SPOCDESK_{name}_DIR"]))
    scanned |= _files_under(tmp_root) - tmp_before
    assert any(p.name == "desk.vault" for p in scanned)
    assert any(p.name.endswith(".log") for p in scanned), "the log file was not written"
    assert _canary_hits(scanned) == []


def _canary_hits(paths) -> list[str]:
    """'path (form)' for every file that holds the canary in any of its forms."""
    found = []
    for path in sorted(paths):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        for form, needle in CANARY_FORMS.items():
            if needle in data:
                found.append(f"{path} ({form})")
    return found


def _scan(folders_new: dict[Path, set[Path]], folders_all: list[Path], skip: Path) -> tuple[set[Path], list[str]]:
    """Every file under `folders_all`, and every file under each of `folders_new` not in its
    `before` set, except under `skip` (the user's own outputs); returns them and the canary hits."""
    scanned = set()
    for folder in folders_all:
        scanned |= _files_under(folder)
    for folder, before in folders_new.items():
        scanned |= _files_under(folder) - before
    scanned = {p for p in scanned if skip not in p.parents}
    return scanned, _canary_hits(scanned)


def test_no_plaintext_canary_after_a_full_session_and_a_crash(tmp_path, isolated_dirs, file_logging):
    """A session in its own process (create, send, search, export, print and save, a response),
    killed with SIGKILL while it holds the vault open and writes; then the desk reopens it,
    verifies it and searches again. The exchange file and the saved PDF are the user's files,
    saved where the user chose (they are meant to hold the data); nothing else may: not the
    vault's folder, the temp folder, the config or the log folder."""
    from app.search import search

    tmp_root = Path(tempfile.gettempdir())
    session_tmp = tmp_path / "session-tmp"  # the session's own TMPDIR, scanned whole
    session_tmp.mkdir()
    tmp_before = _files_under(tmp_root)
    folder = tmp_path / "desk"
    folder.mkdir()
    chosen = tmp_path / "user-chose-this"  # the user's outputs, away from the vault
    chosen.mkdir()
    vault_path = folder / "desk.vault"
    make_desk(vault_path).close()  # admin alice made it; bob is its SPOC

    env = {**os.environ, "PYTHONPATH": str(REPO), "SPOCDESK_TEST_PASSPHRASE": OTHER_PASSPHRASE,
           "TMPDIR": str(session_tmp)}
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("helpers_session.py")), str(vault_path),
                             "bob", str(chosen), CANARY], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=REPO)
    try:
        ready = proc.stdout.readline().split()
        assert ready[:1] == ["READY"], proc.stderr.read() if proc.poll() is not None else ready
        reference = ready[1]
        assert proc.stdout.readline().strip() == "1"  # writing on: the crash lands mid-session
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert lock_path(vault_path).exists()  # it died holding the vault

    # The user's two files are there and hold the data (so the canary would be seen if leaked).
    outputs = sorted(p.name for p in chosen.iterdir())
    assert outputs == sorted(["exchange.json", f"{reference}-request.pdf"]), outputs
    assert CANARY.encode("utf-8") in (chosen / "exchange.json").read_bytes()

    # The desk after the crash: the stale lock recovered, the vault whole, the data found.
    vault = Vault.open(vault_path, user="bob", passphrase=OTHER_PASSPHRASE)
    try:
        assert any(h.reference == reference for h in search(vault, "Wharfinger").hits)
    finally:
        vault.close()
    admin = Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    try:
        assert admin.verify().ok
    finally:
        admin.close()
    for handler in logging.getLogger().handlers:
        handler.flush()

    profile = [Path(os.environ[f"SPOCDESK_{name}_DIR"]) for name in ("CONFIG", "DATA", "LOG")]
    scanned, found = _scan({tmp_root: tmp_before}, [folder, session_tmp, *profile], skip=chosen)
    assert any(p.name == "desk.vault" for p in scanned)
    assert any(p.name.endswith(".log") for p in scanned), "the log file was not written"
    assert found == []


# ---- the core does not need Qt --------------------------------------------------------------


def test_no_module_of_app_loads_pyside6():
    script = textwrap.dedent(
        """
        import importlib, importlib.abc, pkgutil, sys

        attempts = []

        class Watch(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "PySide6" or name.startswith("PySide6."):
                    attempts.append(name)
                return None

        sys.meta_path.insert(0, Watch())
        import app
        imported = []
        for info in pkgutil.walk_packages(app.__path__, "app."):
            importlib.import_module(info.name)
            imported.append(info.name)
        print(len(imported), ",".join(sorted(imported)))
        loaded = sorted(m for m in sys.modules if m == "PySide6" or m.startswith("PySide6."))
        if attempts or loaded:
            print("PySide6 imported:", attempts, loaded, file=sys.stderr)
            sys.exit(1)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=env, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    count, names = result.stdout.split(" ", 1)
    names = names.strip().split(",")
    for expected in ("app.cli", "app.audit", "app.vault.vault", "app.vault.backup", "app.vault.keyring_slot"):
        assert expected in names
    assert int(count) == len(names) >= 10
