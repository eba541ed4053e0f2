"""`spocdesk self-test`: what a broken install breaks, checked in a few seconds."""

from __future__ import annotations

import json
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
    from app import namekeys  # names across scripts (anyascii tables) and by sound (jellyfish)

    if namekeys.spelled_key("Миколай Шевченко") != "mikolay shevchenko" or \
            namekeys.sounds_key("Mohammed") != namekeys.sounds_key("Muhammad"):
        return Check("Full-text search", False, "the name search keys (transliteration, sounds alike) are wrong")
    return Check("Full-text search", True, "FTS5 available; names match across scripts and by sound")


def _packages() -> Check:
    """The packages between desks: age X25519 (pyrage) and Ed25519 (cryptography) round trips."""
    try:
        import pyrage
    except ImportError:
        return Check("Sealed packages", False, "pyrage is not installed: packages cannot be sealed or opened")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    identity = pyrage.x25519.Identity.generate()
    sealed = pyrage.encrypt(b"self test", [identity.to_public()])
    if not sealed.startswith(b"age-encryption.org/v1\n") or pyrage.decrypt(sealed, [identity]) != b"self test":
        return Check("Sealed packages", False, "the age round trip failed")
    key = Ed25519PrivateKey.generate()
    key.public_key().verify(key.sign(b"self test"), b"self test")
    return Check("Sealed packages", True, "age v1 (X25519) and Ed25519 signatures ok")


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
    # Reported (a warning when there is none), never failed: a desk works without
    # "remember on this workstation".
    return Check("Credential store", status.usable, detail if status.usable else f"unavailable ({detail})",
                 required=False)


def _timezone() -> Check:
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    summer = datetime(2026, 7, 1, 12, tzinfo=timezone.utc).astimezone(london)
    if summer.utcoffset().total_seconds() != 3600:
        return Check("Time zone", False, "Europe/London has no summer time: the time zone data is wrong")
    return Check("Time zone", True, "Europe/London (GMT/BST)")


def _schema() -> Check:
    import jsonschema

    from app.exchange import SCHEMA_FILE
    from app.paths import resource_path

    schema = json.loads(resource_path(*SCHEMA_FILE).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)  # needs jsonschema's own meta-schemas
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors({}))
    if not errors:
        return Check("Exchange schema", False, "the schema accepts an empty document")
    return Check("Exchange schema", True, f"{SCHEMA_FILE[-1]} loads and checks")


FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf")


def _fonts() -> Check:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    from app.paths import resource_path

    missing = [name for name in FONT_FILES if not resource_path("fonts", name).is_file()]
    if missing:
        return Check("Report fonts", False, f"missing from resources/fonts: {', '.join(missing)}")
    for name in FONT_FILES:
        # A private name: parsing and registering proves reportlab can embed the font.
        try:
            font = TTFont(f"SelfTest-{name[:-4]}", str(resource_path("fonts", name)))
            pdfmetrics.registerFont(font)
        except Exception as exc:  # noqa: BLE001 - reportlab raises its own TTFError, or struct errors on junk
            return Check("Report fonts", False, f"{name} cannot be used ({type(exc).__name__})")
        if font.stringWidth("OFFICIAL-SENSITIVE £", 10) <= 0:
            return Check("Report fonts", False, f"{name} has no glyph widths")
    return Check("Report fonts", True, f"{len(FONT_FILES)} DejaVu Sans faces register with reportlab")


# Qt is probed in a child process (a broken platform plugin aborts the process that loads it, and
# app/ never loads Qt): the launcher above app/ and ui/ (spocdesk.launcher, also the frozen
# bundle's entry point, whose executable cannot take `-m`) runs the probe instead of the command
# line when this is set in its environment.
PROBE_ENV = "SPOCDESK_SELFTEST_PROBE"


def _probe_command() -> list[str]:
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "spocdesk"]


def _run_qt_probe() -> tuple[dict[str, str] | None, Check | None]:
    try:
        result = subprocess.run(_probe_command(), capture_output=True, text=True, timeout=60,
                                env={**os.environ, PROBE_ENV: "qt"}, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, Check("Qt platform", False, f"could not start ({type(exc).__name__})")
    values = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    if result.returncode != 0 or "platform" not in values:
        if "No module named 'PySide6'" in result.stderr:
            return None, Check("Qt platform", False, "PySide6 is not installed (the desktop app needs it)")
        return None, Check("Qt platform", False, f"the platform plugin failed (exit {result.returncode}); "
                           "on Linux install the packages in scripts/install-system-packages.sh")
    return values, None


def _qt_checks() -> list[Check]:
    """The desktop needs Qt's platform plugin; the report preview needs QtPdf."""
    values, failure = _run_qt_probe()
    if failure is not None:
        return [failure, Check("QtPdf", False, "not checked: Qt did not start")]
    checks = [Check("Qt platform", True, f"plugin {values['platform']} loads")]
    pdf = values.get("qtpdf", "missing QtPdf")
    if pdf.startswith("missing"):
        checks.append(Check("QtPdf", False, f"{pdf.split()[-1]} is missing (install PySide6-Pdf)"))
    elif pdf != "pages 1":
        checks.append(Check("QtPdf", False, f"a one-page PDF did not load ({pdf})"))
    else:
        checks.append(Check("QtPdf", True, "QPdfDocument loads a PDF"))
    return checks


CHECKS: tuple[Callable[[], Check | list[Check]], ...] = (
    _sqlcipher, _encrypted_roundtrip, _fts5, _key_derivation, _packages, _agreement, _schema, _timezone, _fonts,
    _keyring, _qt_checks)


def run_checks() -> list[Check]:
    results: list[Check] = []
    for check in CHECKS:
        try:
            outcome = check()
        except Exception as exc:  # noqa: BLE001 - a self-test reports every failure; it never stops at the first
            name = check.__name__.strip("_").replace("_", " ")
            outcome = Check(name, False, f"failed with {type(exc).__name__}")
        results.extend(outcome if isinstance(outcome, list) else [outcome])
    return results
