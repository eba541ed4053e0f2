"""The building blocks every screen uses: text shown as typed, never as markup; the marking."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ui.kit import widgets
from ui.qt import Qt

REPO = Path(__file__).resolve().parents[2]


def test_the_values_set_by_property_are_qt_s_own():
    assert widgets.PLAIN_TEXT == Qt.TextFormat.PlainText.value
    assert widgets.SELECTABLE_BY_MOUSE == Qt.TextInteractionFlag.TextSelectableByMouse.value
    assert widgets.ALIGN_CENTER == Qt.AlignmentFlag.AlignCenter.value


def test_a_plain_label_shows_markup_as_typed(qtbot):
    hostile = '<b>bold</b> <img src="/etc/passwd"> <a href="http://example.invalid">link</a>'
    label = widgets.plain_label(hostile, selectable=True)
    qtbot.addWidget(label)
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert label.textInteractionFlags() == Qt.TextInteractionFlag.TextSelectableByMouse
    assert label.text() == hostile
    assert widgets.plain_label("x").textInteractionFlags() != Qt.TextInteractionFlag.TextSelectableByMouse


def test_the_marking_banner_is_plain_centred_text(qtbot):
    banner = widgets.MarkingBanner()
    qtbot.addWidget(banner)
    assert banner.text() == "OFFICIAL-SENSITIVE"
    assert banner.textFormat() == Qt.TextFormat.PlainText
    assert int(banner.alignment()) == int(Qt.AlignmentFlag.AlignCenter.value)


def test_the_unlock_screen_shows_without_building_the_qt_namespace(tmp_path):
    """PySide builds the Python enums of all of Qt on the first touch of the namespace (~30 ms), and
    only then puts `Qt` in QtCore's dict: the unlock screen, the first window, is built without.
    Until then PySide cannot hand a Qt-namespace enum to a Python slot, so the shell listens to
    the application's state (Qt::ApplicationState) only from after the first window."""
    from desk_helpers import make_desk

    vault = make_desk(tmp_path / "desk.vault")
    vault.close()
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from ui.qt import QtCore, QtWidgets\n"
        "app = QtWidgets.QApplication([sys.argv[0]])\n"
        "import ui.shell.shell\n"
        "state = QtCore.SIGNAL('applicationStateChanged(Qt::ApplicationState)')\n"
        "shell = ui.shell.shell.Shell()\n"
        "shell.show_unlock(Path(sys.argv[1]))\n"
        "print('Qt' in vars(QtCore), app.receivers(state), shell.unlock_window.user_box.count())\n"
        "QtCore.QTimer.singleShot(400, app.quit)\n"
        "app.exec()\n"
        "print('Qt' in vars(QtCore), app.receivers(state))\n"
    )
    env = {"QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin",
           "SPOCDESK_CONFIG_DIR": str(tmp_path / "config"), "SPOCDESK_LOG_DIR": str(tmp_path / "log"),
           "SPOCDESK_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path / "desk.vault")], env=env,
                            capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "0", "2", "True", "1"]
    assert "Error" not in result.stderr
