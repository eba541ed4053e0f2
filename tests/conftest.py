"""Shared fixtures: isolated per-user folders, a fast KDF for in-process tests, an in-memory
keyring, vault factories and a subprocess runner for the `spocdesk` command line."""

from __future__ import annotations

import os

# Qt aborts the process without a display; set before anything can import it.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import keyring
import keyring.backend
import pytest

from app.vault import Vault, crypto, keyring_slot

REPO = Path(__file__).resolve().parents[1]
PASSPHRASE = "kettle orbit marble 42"
OTHER_PASSPHRASE = "lantern quartz meadow 77"


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory, monkeypatch):
    """Config, data and logs of every test go to its own folders, never the real profile."""
    base = tmp_path_factory.mktemp("profile")
    for name in ("CONFIG", "DATA", "LOG"):
        folder = base / name.lower()
        monkeypatch.setenv(f"SPOCDESK_{name}_DIR", str(folder))
    return base


@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch):
    """Cheap KDFs in-process (scrypt n=2**10, Argon2id 64 KiB x 1): the real cost (~0.5 s) is
    kept for CLI subprocesses."""
    monkeypatch.setattr(crypto, "SCRYPT_N", 2**10)
    monkeypatch.setattr(crypto, "ARGON2_MEMORY_KIB", 64)
    monkeypatch.setattr(crypto, "ARGON2_ITERATIONS", 1)


@pytest.fixture(autouse=True)
def shipped_agreement():
    """Every test starts and ends under the shipped agreement, even if one left a vault of another
    partnership open (issue 20: an open vault makes its own agreement the one the app follows)."""
    def reset() -> None:
        module = sys.modules.get("app.agreement")  # not imported: nothing to reset (and no import cost)
        if module is not None:
            module.activate(None)

    reset()
    yield
    reset()


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A stand-in for the OS credential store, for tests only."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        from keyring.errors import PasswordDeleteError

        if (service, username) not in self.store:
            raise PasswordDeleteError(username)
        del self.store[(service, username)]


@pytest.fixture
def memory_keyring(monkeypatch):
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    monkeypatch.setattr(keyring_slot, "ACCEPTED_BACKEND_MODULES",
                        keyring_slot.ACCEPTED_BACKEND_MODULES + (MemoryKeyring.__module__,))
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def vault_path(tmp_path) -> Path:
    return tmp_path / "desk.vault"


@pytest.fixture
def new_vault(vault_path):
    """A fresh vault for DCON with admin `alice`; yields (vault, recovery_key)."""
    vault, recovery_key = Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")
    yield vault, recovery_key
    vault.close()


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def spocdesk(isolated_dirs):
    """Run the real command line in a subprocess: spocdesk("init", ..., stdin="...")."""

    def run(*args: str, stdin: str = "", timeout: float = 120) -> CliResult:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.run(
            [sys.executable, "-m", "spocdesk", *map(str, args)],
            input=stdin, capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run


# ---- desktop (pytest-qt) fixtures: Qt is imported only when a test asks for them ----------


@pytest.fixture
def closed_vault(vault_path):
    vault, _ = Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")
    vault.close()
    return vault_path


@pytest.fixture
def make_shell(qtbot):
    from notes_area import NotesArea
    from ui.home.area import HomeArea
    from ui.shell.shell import Shell

    shells = []

    def make(areas=None):
        shell = Shell(area_classes=areas if areas is not None else [HomeArea, NotesArea])
        shells.append(shell)
        return shell

    yield make
    for shell in shells:
        shell.lock("quit", show_unlock=False)
        for window in (shell.start_window, shell.unlock_window):
            if window is not None:
                window.close()
                window.deleteLater()
        shell.idle.stop()
        shell.deleteLater()


@pytest.fixture
def unlock_with(qtbot):
    """Type a passphrase into the shell's unlock screen and press Enter; returns the main window."""
    return lambda shell, user="alice", passphrase=PASSPHRASE: _unlock(qtbot, shell, user, passphrase)


def _unlock(qtbot, shell, user, passphrase):
    from ui.qt import Qt

    window = shell.unlock_window
    assert window is not None, "the unlock screen is not showing"
    window.user_box.setCurrentText(user)
    window.passphrase.setText(passphrase)
    qtbot.keyClick(window.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: shell.main_window is not None or window.error.isVisible(), timeout=10_000)
    return shell.main_window


# ---- reliability runs: `pytest tests/reliability --trials 100` for the long run -------------


def pytest_addoption(parser):
    parser.addoption("--trials", type=int, default=None, metavar="N",
                     help="trials per fault-injection test in tests/reliability (default: a quick few)")


@pytest.fixture
def trials(request) -> int | None:
    """The --trials number, or None for each test's own quick default."""
    return request.config.getoption("--trials")
