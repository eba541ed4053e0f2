"""`spocdesk self-test`: what a broken install breaks, checked in a few seconds."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    required: bool = True


def _sqlcipher() -> Check:
    from app.vault.connection import sqlcipher_version

    version = sqlcipher_version()
    if not version:
        return Check("SQLCipher", False, "the database module has no SQLCipher: vaults cannot be encrypted")
    if not version.startswith("4."):
        return Check("SQLCipher", False, f"version {version}; SPOC Desk needs SQLCipher 4")
    return Check("SQLCipher", True, f"version {version}")


def _encrypted_roundtrip() -> Check:
    from app.vault import crypto
    from app.vault.connection import open_database

    marker = b"spocdesk-self-test-marker"
    with tempfile.TemporaryDirectory(prefix="spocdesk-selftest-") as folder:
        path = Path(folder) / "check.vault"
        dek = crypto.new_data_key()
        db = open_database(path, dek, create=True, journal_mode="DELETE")
        try:
            db.execute("CREATE TABLE t (v BLOB)")
            db.execute("INSERT INTO t VALUES (?)", (marker,))
            back = db.scalar("SELECT v FROM t")
        finally:
            db.close()
        raw = path.read_bytes()
    if back != marker:
        return Check("Encrypted storage", False, "a value written could not be read back")
    if marker in raw:
        return Check("Encrypted storage", False, "data reached the disk unencrypted")
    return Check("Encrypted storage", True, "written, read back, and unreadable on disk")


def _fts5() -> Check:
    import sqlcipher3

    conn = sqlcipher3.connect(":memory:")
    try:
        conn.execute("CREATE VIRTUAL TABLE f USING fts5(x)")
    except sqlcipher3.Error:
        return Check("Full-text search", False, "this SQLite build has no FTS5")
    finally:
        conn.close()
    return Check("Full-text search", True, "FTS5 available")


def _key_derivation() -> Check:
    from app.vault import crypto

    start = time.perf_counter()
    key = crypto.derive_from_passphrase("self test", b"0" * 16, crypto.ScryptParams())
    seconds = time.perf_counter() - start
    nonce, wrapped = crypto.wrap(key, bytearray(32), b"aad")
    if crypto.unwrap(key, nonce, wrapped, b"aad") != bytearray(32):
        return Check("Key wrapping", False, "AES-GCM round trip failed")
    return Check("Key wrapping", True, f"scrypt {seconds:.2f} s per unlock, AES-256-GCM ok")


def _agreement() -> Check:
    from app.agreement import load_agreement

    agreement = load_agreement()
    return Check("Agreement data", True,
                 f"{len(agreement.partners)} partners, {len(agreement.lawful_bases)} lawful bases")


def _keyring() -> Check:
    from app.vault import keyring_slot

    status = keyring_slot.status()
    detail = f"{status.backend}: {status.reason}"
    # Reported, never failed: a desk works without "remember on this workstation".
    return Check("Credential store", True, detail if status.usable else f"unavailable ({detail})", required=False)


def _qt() -> Check:
    """The desktop needs Qt's platform plugin and QtPdf (report preview); probed in a child
    process because a broken plugin aborts the process that loads it."""
    if getattr(sys, "frozen", False):
        return Check("Qt platform", True, "frozen bundle: checked by the desktop start", required=False)
    probe = (
        # The real platform plugin where there is a screen; offscreen on a headless Linux box.
        "import os, sys;"
        "headless = sys.platform.startswith('linux') and not (os.environ.get('DISPLAY') or os.environ.get('WAYLAND_DISPLAY'));"
        "headless and os.environ.setdefault('QT_QPA_PLATFORM', 'offscreen');"
        "from PySide6.QtWidgets import QApplication; from PySide6 import QtPdf, QtPdfWidgets;"
        "app = QApplication([]); print(app.platformName())"
    )
    try:
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                                env={**os.environ})
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check("Qt platform", False, f"could not start ({type(exc).__name__})")
    if result.returncode != 0:
        if "No module named 'PySide6'" in result.stderr:
            return Check("Qt platform", False, "PySide6 is not installed (the desktop app needs it)")
        if "QtPdf" in result.stderr:
            return Check("Qt platform", False, "QtPdf is missing (install PySide6-Pdf)")
        return Check("Qt platform", False, f"the platform plugin failed (exit {result.returncode}); "
                     "on Linux install the packages in scripts/install-system-packages.sh")
    return Check("Qt platform", True, f"plugin {result.stdout.strip()} loads; QtPdf present")


CHECKS: tuple[Callable[[], Check], ...] = (_sqlcipher, _encrypted_roundtrip, _fts5, _key_derivation,
                                            _agreement, _keyring, _qt)


def run_checks() -> list[Check]:
    results = []
    for check in CHECKS:
        try:
            results.append(check())
        except Exception as exc:  # a self-test reports every failure; it never stops at the first
            name = check.__name__.strip("_").replace("_", " ")
            results.append(Check(name, False, f"failed with {type(exc).__name__}"))
    return results
