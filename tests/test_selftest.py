"""`spocdesk self-test`: each check reports what a broken installation breaks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from app import paths, selftest
from app.vault import keyring_slot
from conftest import REPO


def by_name(checks):
    return {c.name: c for c in checks}


def test_every_check_passes_in_the_development_environment():
    checks = by_name(selftest.run_checks())
    expected = {"SQLCipher", "Encrypted storage", "Full-text search", "Key wrapping", "Sealed packages",
                "Agreement data", "Exchange schema", "Time zone", "Report fonts", "Credential store", "Qt platform", "QtPdf"}
    assert expected <= set(checks)
    failed = [c for c in checks.values() if c.required and not c.ok]
    assert not failed, failed
    assert checks["SQLCipher"].detail.startswith("version 4.")
    assert checks["QtPdf"].detail == "QPdfDocument loads a PDF"


def test_sqlcipher_3_fails(monkeypatch):
    from app.vault import connection

    monkeypatch.setattr(connection, "sqlcipher_version", lambda: "3.4.2")
    check = selftest._sqlcipher()
    assert not check.ok and "SQLCipher 4" in check.detail


def test_a_missing_font_is_named(tmp_path, monkeypatch):
    shutil.copytree(REPO / "resources", tmp_path / "resources")
    (tmp_path / "resources" / "fonts" / "DejaVuSans-Oblique.ttf").unlink()
    monkeypatch.setattr(paths, "resource_dir", lambda: tmp_path / "resources")
    check = selftest._fonts()
    assert not check.ok and "DejaVuSans-Oblique.ttf" in check.detail


def test_a_damaged_font_fails_rather_than_crashing_the_self_test(tmp_path, monkeypatch):
    shutil.copytree(REPO / "resources", tmp_path / "resources")
    (tmp_path / "resources" / "fonts" / "DejaVuSans-Bold.ttf").write_bytes(b"not a font")
    monkeypatch.setattr(paths, "resource_dir", lambda: tmp_path / "resources")
    check = selftest._fonts()
    assert not check.ok and check.required and "DejaVuSans-Bold.ttf cannot be used" in check.detail


def test_no_credential_store_is_reported_not_failed(monkeypatch):
    monkeypatch.setattr(keyring_slot, "status", lambda: keyring_slot.KeyringStatus(
        False, "keyring.backends.fail.Keyring", "this workstation has no credential store that SPOC Desk can use"))
    check = selftest._keyring()
    assert not check.ok and not check.required  # printed as "warn"; the exit code stays 0
    assert check.detail.startswith("unavailable (")


def test_a_real_credential_store_is_named(memory_keyring):
    check = selftest._keyring()
    assert check.ok and "MemoryKeyring" in check.detail and not check.detail.startswith("unavailable")


def test_a_qt_that_cannot_start_fails_both_qt_checks(monkeypatch):
    monkeypatch.setattr(selftest, "_probe_command", lambda: [sys.executable, "-c", "import sys; sys.exit(3)"])
    checks = by_name(selftest._qt_checks())
    assert not checks["Qt platform"].ok and "exit 3" in checks["Qt platform"].detail
    assert not checks["QtPdf"].ok


def test_missing_qtpdf_is_its_own_failure(monkeypatch):
    probe = "print('platform=xcb'); print('qtpdf=missing PySide6.QtPdf')"
    monkeypatch.setattr(selftest, "_probe_command", lambda: [sys.executable, "-c", probe])
    checks = by_name(selftest._qt_checks())
    assert checks["Qt platform"].ok and checks["Qt platform"].detail == "plugin xcb loads"
    assert not checks["QtPdf"].ok and "PySide6.QtPdf is missing" in checks["QtPdf"].detail


def test_a_frozen_bundle_probes_qt_by_starting_itself_again(monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert selftest._probe_command() == [sys.executable]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="offscreen probe")
def test_the_bundle_launcher_runs_the_qt_probe_when_asked():
    env = {**os.environ, "PYTHONPATH": str(REPO), selftest.PROBE_ENV: "qt", "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, str(REPO / "installer" / "spocdesk_launcher.py")],
                            capture_output=True, text=True, timeout=60, env=env, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert "platform=offscreen" in result.stdout and "qtpdf=pages 1" in result.stdout


def test_a_check_that_raises_is_reported_with_its_name(monkeypatch):
    def _broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(selftest, "CHECKS", (_broken,))
    (check,) = selftest.run_checks()
    assert check.name == "broken" and not check.ok and check.detail == "failed with RuntimeError"
