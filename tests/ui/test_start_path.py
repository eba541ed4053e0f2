"""The start to the unlock screen (issue 8: at most 1.5x a bare window; docs/benchmarks.md): what
the unlock screen is built without, and that what is left for later still comes when needed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app import cli

REPO = Path(__file__).resolve().parents[2]

# Loaded at the first unlock or first use, never before the unlock screen has painted.
NOT_BEFORE_UNLOCK = ("reportlab", "app.reports", "app.vault.vault", "app.vault.keyring_slot", "keyring",
                     "cryptography", "argon2", "hashlib", "ui.shell.main_window", "ui.shell.menus",
                     "ui.shell.help", "ui.shell.start", "ui.kit.tables", "ui.kit.dialogs", "ui.home",
                     "ui.requests", "ui.breaches", "ui.meetings", "ui.cases", "ui.admin", "ui.governance")

_CHILD = """
import json, os, sys
from PySide6 import QtCore, QtWidgets
filters = []
QtWidgets.QApplication.installEventFilter = lambda app, obj: filters.append(type(obj).__name__)
from ui.shell.unlock import UnlockWindow
inherited = UnlockWindow.paintEvent
def painted(window, event):
    inherited(window, event)
    app = QtWidgets.QApplication.instance()
    hint = window.remember_reason
    print(json.dumps({
        "filters": filters,
        "loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("reportlab", "keyring", "cryptography",
                         "argon2", "hashlib") or m.startswith(("app.", "ui."))),
        "styled": "QLabel#markingBanner" in app.styleSheet(),
        "hint": hint.styleSheet(),
    }), flush=True)
    sys.stdout.flush()
    os._exit(0)
UnlockWindow.paintEvent = painted
from spocdesk.launcher import main
main(["open", sys.argv[1]])
"""


def test_the_unlock_screen_paints_styled_before_any_area_menu_report_or_database_code_loads(tmp_path):
    from desk_helpers import make_desk

    make_desk(tmp_path / "desk.vault").close()
    env = {"QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin",
           "SPOCDESK_CONFIG_DIR": str(tmp_path / "config"), "SPOCDESK_LOG_DIR": str(tmp_path / "log"),
           "SPOCDESK_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run([sys.executable, "-c", _CHILD, str(tmp_path / "desk.vault")], env=env,
                            capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    early = [m for m in shown["loaded"] if m in NOT_BEFORE_UNLOCK or m.startswith(tuple(f"{n}." for n in NOT_BEFORE_UNLOCK))]
    assert early == [], f"loaded before the unlock screen painted: {early}"
    # No application-wide event filter: one written in Python makes every event of every widget a
    # trip through Python (the text-colour filter cost the unlock screen ~50 ms).
    assert shown["filters"] == []
    assert shown["styled"]                           # the stylesheet is part of the screen's look
    assert "#505a5f" in shown["hint"]                 # GOV.UK's hint grey: readable on Fusion's light window


# ---- the command line's two desktop starts skip the parser ------------------------------------


def test_spocdesk_and_spocdesk_open_start_the_desktop_without_building_the_parser(tmp_path, monkeypatch, capsys):
    vault = tmp_path / "desk.vault"
    vault.write_bytes(b"not opened here")
    started = []
    monkeypatch.setattr(cli, "build_parser", lambda *a, **k: pytest.fail("the parser was built"))
    assert cli.main(["open", str(vault)], desktop=lambda v: started.append(v) or 0) == 0
    assert cli.main([], desktop=lambda v: started.append(v) or 0) == 0
    assert started == [str(vault), None]
    # a missing vault: the same one line and exit code as through the parser
    assert cli.main(["open", str(tmp_path / "nowhere.vault")], desktop=started.append) == 4
    assert capsys.readouterr().err == f"spocdesk: There is no vault at {tmp_path / 'nowhere.vault'}.\n"
    assert len(started) == 2


def test_other_open_command_lines_still_go_through_the_parser(tmp_path, capsys):
    assert cli.main(["open"], desktop=lambda v: 0) == 2                       # no vault named
    assert "the following arguments are required: VAULT" in capsys.readouterr().err
    assert cli.main(["open", "a.vault", "b.vault"], desktop=lambda v: 0) == 2  # one vault only
    assert "unrecognized arguments: b.vault" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        cli.main(["open", "--help"], desktop=lambda v: 0)
    assert exit_.value.code == 0 and "unlock screen" in capsys.readouterr().out


def test_the_vault_and_folder_on_the_unlock_screen_can_be_selected_once_it_has_painted(qtbot, tmp_path):
    from desk_helpers import make_desk
    from ui.qt import Qt
    from ui.shell.unlock import UnlockWindow

    make_desk(tmp_path / "desk.vault").close()
    window = UnlockWindow(tmp_path / "desk.vault")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    selectable = Qt.TextInteractionFlag.TextSelectableByMouse
    qtbot.waitUntil(lambda: window.vault_label.textInteractionFlags() & selectable == selectable)
    assert window.vault_label.textFormat() == Qt.TextFormat.PlainText
    assert window.vault_label.text() == f"Vault: desk.vault\nFolder: {tmp_path}"
