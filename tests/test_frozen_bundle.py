"""The frozen Linux bundle, built from scratch by installer/build.py, works with no source tree.

One build (about a minute on two cores) serves every test here: the tarball is unpacked and
installed with its install.sh into a throw-away home, and the installed executable runs from
another folder with PYTHONPATH and the venv out of its environment.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import OTHER_PASSPHRASE, PASSPHRASE, REPO

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(900),  # the module's one build runs inside the first test
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the test builds the Linux bundle"),
]

RECOVERY_KEY = re.compile(r"\b[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){8}\b")


def lines(*values: str) -> str:
    return "".join(f"{v}\n" for v in values)


@dataclass
class Installed:
    home: Path
    exe: Path
    unpacked: Path
    build_out: str


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """No source tree, no venv, no test-suite overrides: only what a user's session has."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "SPOCDESK_", "XDG_", "QT_", "PYTEST", "VIRTUAL_ENV"))}
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "/usr/bin:/bin").split(os.pathsep) if p != venv_bin)
    env["HOME"] = str(home)
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    base = tmp_path_factory.mktemp("frozen")
    dist, work = base / "dist", base / "work"
    build = subprocess.run([sys.executable, str(REPO / "installer" / "build.py"), "--dist", str(dist),
                            "--work", str(work)], capture_output=True, text=True, timeout=900)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    tarballs = list(dist.glob("spocdesk-*-linux-*.tar.gz"))
    assert len(tarballs) == 1, list(dist.iterdir())
    unpacked = base / "unpacked"
    with tarfile.open(tarballs[0]) as tar:
        tar.extractall(unpacked, filter="tar")
    (top,) = unpacked.iterdir()
    home = base / "home"
    home.mkdir()
    result = subprocess.run(["sh", str(top / "install.sh")], capture_output=True, text=True, timeout=300,
                            cwd=base, env=clean_env(home))
    assert result.returncode == 0, result.stderr
    return Installed(home, home / ".local" / "opt" / "spocdesk" / "spocdesk", top, build.stdout)


def run(installed: Installed, *args: str, stdin: str = "", timeout: float = 180, **env: str):
    cwd = installed.home / "elsewhere"
    cwd.mkdir(exist_ok=True)
    return subprocess.run([str(installed.exe), *map(str, args)], input=stdin, capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env=clean_env(installed.home, **env))


def test_build_reports_its_version_size_and_time(installed):
    version = re.search(r'^version = "([^"]+)"', (REPO / "pyproject.toml").read_text(), re.M).group(1)
    assert installed.unpacked.name == f"spocdesk-{version}"
    assert (installed.unpacked / "share" / "VERSION").read_text().strip() == version
    assert re.search(r"build: bundle in \d+ s", installed.build_out), installed.build_out
    internal = installed.unpacked / "_internal"
    for shipped in ("resources/agreement/derby-derbyshire.json", "resources/schema/spocdesk-1.schema.json",
                    "resources/fonts/DejaVuSans.ttf", "resources/icons/spocdesk.png"):
        assert (internal / shipped).is_file(), shipped
    names = {p.name for p in internal.iterdir()}
    assert not {"keyrings", "pytest", "_pytest", "pytestqt", "pypdf", "tests"} & names


def test_install_script_puts_the_program_link_menu_entry_and_icon_in_home(installed):
    local = installed.home / ".local"
    link = local / "bin" / "spocdesk"
    assert link.is_symlink() and link.resolve() == installed.exe.resolve()
    desktop = (local / "share" / "applications" / "spocdesk.desktop").read_text()
    assert f'Exec="{installed.exe}"' in desktop and "Icon=spocdesk" in desktop
    assert (local / "share" / "icons" / "hicolor" / "256x256" / "apps" / "spocdesk.png").is_file()


def test_frozen_self_test_passes(installed):
    result = run(installed, "self-test")
    assert result.returncode == 0, result.stdout + result.stderr
    for pattern in (r"^ok\s+SQLCipher\s+version 4\.", r"^ok\s+Agreement data\s+\d+ partners",
                    r"^ok\s+Qt platform\s+plugin \w+ loads", r"^ok\s+QtPdf\s", r"^ok\s+Report fonts\s+3 ",
                    r"^ok\s+Exchange schema", r"^ok\s+Sealed packages\s", r"^ok\s+Time zone",
                    r"^(ok|warn)\s+Credential store\s"):
        assert re.search(pattern, result.stdout, re.M), (pattern, result.stdout)
    assert "FAIL" not in result.stdout


def test_frozen_cli_init_add_user_verify_and_backup(installed):
    vault = installed.home / "vaults" / "desk.vault"
    vault.parent.mkdir()
    init = run(installed, "init", vault, "--user", "alice", "--agency", "DCON", "--passphrase-stdin",
               stdin=lines(PASSPHRASE))
    assert init.returncode == 0, init.stderr
    assert RECOVERY_KEY.search(init.stdout)
    assert vault.is_file() and Path(f"{vault}.keys").is_file()
    added = run(installed, "users", "add", vault, "bob", "--role", "auditor", "--user", "alice",
                "--passphrase-stdin", stdin=lines(PASSPHRASE, OTHER_PASSPHRASE))
    assert added.returncode == 0, added.stderr
    verify = run(installed, "verify", vault, "--user", "bob", "--passphrase-stdin", stdin=lines(OTHER_PASSPHRASE))
    assert verify.returncode == 0, verify.stderr
    backup = installed.home / "backups" / "desk.backup"
    backup.parent.mkdir()
    done = run(installed, "backup", vault, backup, "--user", "alice", "--passphrase-stdin", stdin=lines(PASSPHRASE))
    assert done.returncode == 0, done.stderr
    assert backup.is_file() and backup.stat().st_size > 0
    wrong = run(installed, "verify", vault, "--user", "alice", "--passphrase-stdin", stdin=lines("not it"))
    assert wrong.returncode == 3 and "Traceback" not in wrong.stderr
    # Logs went to the profile's state folder (platformdirs), not beside the program.
    assert (installed.home / ".local" / "state" / "SPOCDesk" / "log" / "spocdesk.log").is_file()


def test_frozen_desktop_starts_offscreen_and_quits_cleanly(installed):
    result = run(installed, timeout=120, QT_QPA_PLATFORM="offscreen", SPOCDESK_QUIT_AFTER_MS="1500")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


def test_portable_marker_keeps_data_beside_the_executable(installed):
    bundle = installed.unpacked  # the unpacked tarball, run in place as a portable copy
    (bundle / "spocdesk-portable.txt").write_text("portable\n")
    try:
        result = subprocess.run([str(bundle / "spocdesk"), "self-test"], capture_output=True, text=True,
                                timeout=180, cwd=installed.home, env=clean_env(installed.home / "portable-home"))
        assert result.returncode == 0, result.stdout + result.stderr
        assert (bundle / "spocdesk-data" / "logs" / "spocdesk.log").is_file()
        assert not (installed.home / "portable-home" / ".local" / "state" / "SPOCDesk").exists()
    finally:
        (bundle / "spocdesk-portable.txt").unlink()


def test_uninstall_removes_the_program_and_keeps_vaults(installed):
    vault = installed.home / "kept.vault"
    vault.write_bytes(b"not really a vault")
    result = subprocess.run(["sh", str(installed.home / ".local" / "opt" / "spocdesk" / "uninstall.sh")],
                            capture_output=True, text=True, timeout=60, env=clean_env(installed.home))
    assert result.returncode == 0, result.stderr
    local = installed.home / ".local"
    assert not (local / "opt" / "spocdesk").exists()
    assert not (local / "bin" / "spocdesk").exists()
    assert not (local / "share" / "applications" / "spocdesk.desktop").exists()
    assert vault.read_bytes() == b"not really a vault"
    assert (local / "state" / "SPOCDesk" / "log" / "spocdesk.log").is_file()
