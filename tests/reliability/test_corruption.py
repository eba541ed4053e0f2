"""A byte flipped at a random offset, or the file cut short: always detected, reported as damaged
(`spocdesk verify` exits 5), never shown as data. `--trials N` flips N bytes and makes N cuts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app import demo
from app.errors import SpocError, VaultDamaged
from app.vault import Vault
from app.vault.keyslots import keyslot_path

from conftest import PASSPHRASE
from faults import rng_for, trial_count

DATA_SQL = "SELECT id, reference, information, check_request FROM requests ORDER BY seq"


def pytest_generate_tests(metafunc):
    for name, kind in (("flip_trial", "flip"), ("cut_trial", "truncate")):
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, range(trial_count(metafunc.config, kind)))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A closed vault with 40 demo requests (WAL folded back in), and what it holds."""
    from app.vault import crypto

    with crypto.lowered_cost():
        folder = tmp_path_factory.mktemp("pristine")
        path = folder / "desk.vault"
        vault, _ = Vault.create(path, user="alice", passphrase=PASSPHRASE, agency="DCON")
        try:
            demo.populate(vault, 40, seed=3, user="alice")
            rows = [tuple(r) for r in vault.db.query(DATA_SQL)]
        finally:
            vault.close()
    assert not Path(str(path) + "-wal").exists(), "closing should fold the WAL into the vault"
    return path, rows


def _copy(pristine_path: Path, folder: Path) -> Path:
    folder.mkdir()
    dest = folder / pristine_path.name
    shutil.copyfile(pristine_path, dest)
    shutil.copyfile(keyslot_path(pristine_path), keyslot_path(dest))
    return dest


def _outcome(path: Path, original_rows) -> str:
    """'refused at open', 'found by verify', or 'undetected'; asserts no damaged value is shown."""
    try:
        vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    except VaultDamaged:
        return "refused at open"
    try:
        try:
            rows = [tuple(r) for r in vault.db.query(DATA_SQL)]
        except VaultDamaged:
            rows = None
        if rows is not None:
            # What can still be read is exactly what was written: never altered data.
            assert rows == original_rows
        report = vault.verify()
        return "undetected" if report.ok else "found by verify"
    except VaultDamaged:
        return "found by verify"
    finally:
        try:
            vault.close(record=False)
        except SpocError:
            pass


def test_a_flipped_byte_is_always_detected(pristine, tmp_path, flip_trial):
    path, rows = pristine
    copy = _copy(path, tmp_path / "flipped")
    size = copy.stat().st_size
    rng = rng_for("flip", flip_trial)
    offset = rng.randrange(size)
    with open(copy, "r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)[0]
        handle.seek(offset)
        handle.write(bytes([byte ^ (1 << rng.randrange(8))]))
    assert _outcome(copy, rows) != "undetected", f"a flip at offset {offset} of {size} went unnoticed"


def test_a_truncated_vault_is_always_detected(pristine, tmp_path, cut_trial):
    path, rows = pristine
    copy = _copy(path, tmp_path / "cut")
    size = copy.stat().st_size
    rng = rng_for("truncate", cut_trial)
    # Half the trials cut on a page boundary (the size check cannot see it), half anywhere.
    keep = rng.randrange(1, size // 4096) * 4096 if cut_trial % 2 == 0 else rng.randrange(1, size)
    with open(copy, "r+b") as handle:
        handle.truncate(keep)
    assert _outcome(copy, rows) != "undetected", f"cut to {keep} of {size} bytes went unnoticed"


@pytest.mark.parametrize("fault", ["flip", "truncate"])
def test_the_command_line_reports_damage_with_exit_5(pristine, tmp_path, spocdesk, fault):
    path, rows = pristine
    copy = _copy(path, tmp_path / fault)
    size = copy.stat().st_size
    with open(copy, "r+b") as handle:
        if fault == "flip":
            handle.seek(size // 2)
            byte = handle.read(1)[0]
            handle.seek(size // 2)
            handle.write(bytes([byte ^ 0x10]))
        else:
            handle.truncate(size - 4096)
    out = tmp_path / "out.json"
    verify = spocdesk("verify", copy, "--user", "alice", "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    export = spocdesk("export", copy, "--out", out, "--unencrypted", "--user", "alice", "--passphrase-stdin",
                      stdin=PASSPHRASE + "\n")
    assert verify.code == 5, (verify.code, verify.err)
    for result in (verify, export):
        if result.code:
            assert result.code == 5, result.err
            assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
            assert "damaged" in result.err or "tampered" in result.err
    if export.code == 0:
        # The damaged page was not on the export's path: what it wrote is what was stored.
        doc = json.loads(out.read_text(encoding="utf-8"))
        assert [(r["id"], r["reference"], r["information"], r["check_request"]) for r in doc["requests"]] == rows
    else:
        assert not out.exists()
