"""Developer tool: drive the desktop on a throwaway vault and save screenshots of each screen.

Run under a virtual display to see real window rendering:
    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python scripts/screenshots.py /tmp/shots
Uses temporary config/data folders and fictitious data only.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "shots")
OUT.mkdir(parents=True, exist_ok=True)
work = Path(tempfile.mkdtemp(prefix="spocdesk-shots-"))
for name in ("CONFIG", "DATA", "LOG"):
    os.environ[f"SPOCDESK_{name}_DIR"] = str(work / name.lower())
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.vault import Vault, crypto

crypto.lowered_cost().apply()  # throwaway vault: a quick key derivation keeps the tour fast
PASS = "kettle orbit marble 42"
vault_path = work / "desk.vault"
vault, _ = Vault.create(vault_path, user="demo-admin", passphrase=PASS, agency="DCON")
try:
    from app import demo
    from app.users import add_user

    add_user(vault, "demo-spoc", "spoc", "lantern quartz meadow 77")
    add_user(vault, "demo-dpm", "dpm", "lantern quartz meadow 77")
    add_user(vault, "demo-chair", "chair", "lantern quartz meadow 77")
    demo.populate(vault, size=int(os.environ.get("SHOTS_SIZE", "60")), seed=7, user="demo-spoc")
finally:
    vault.close()

from ui.qt import QtCore, QtGui, QtWidgets

app = QtWidgets.QApplication(sys.argv[:1])
app.setStyle("Fusion")
from ui.kit import theme

if os.environ.get("SHOTS_DARK"):   # a dark palette, as a dark or high-contrast desktop theme gives
    dark = QtGui.QPalette()
    for role, colour in (("Window", "#1e1e1e"), ("WindowText", "#ffffff"), ("Base", "#121212"),
                         ("AlternateBase", "#2a2a2a"), ("Text", "#ffffff"), ("Button", "#2d2d2d"),
                         ("ButtonText", "#ffffff"), ("Highlight", "#3aa0ff"), ("HighlightedText", "#000000"),
                         ("Mid", "#808080"), ("Midlight", "#3a3a3a"), ("PlaceholderText", "#b0b0b0")):
        dark.setColor(getattr(QtGui.QPalette.ColorRole, role), QtGui.QColor(colour))
    app.setPalette(dark)
if os.environ.get("SHOTS_HIGH_CONTRAST"):   # "black" or "white": Windows' high-contrast themes
    app.setPalette(theme.high_contrast_palette(os.environ["SHOTS_HIGH_CONTRAST"]))
theme.apply(app)   # resources/style.qss, as ui/shell/app.py loads it
from ui.kit import config
from ui.shell.shell import Shell

config.remember_vault(vault_path)
from ui.home.area import HomeArea

shell = Shell([HomeArea]) if os.environ.get("SHOTS_HOME_ONLY") else Shell()
steps = []


def shot(name: str, widget=None) -> None:
    app.processEvents()
    widget = widget or QtWidgets.QApplication.activeWindow() or shell.main_window or shell.unlock_window
    screen = QtGui.QGuiApplication.primaryScreen()
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen" or screen is None:
        image = widget.grab()
    else:
        frame = widget.frameGeometry()
        image = screen.grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height())
    image.save(str(OUT / f"{name}.png"))
    print("saved", OUT / f"{name}.png")


def step(fn):
    steps.append(fn)
    return fn


@step
def start_screen():
    shell.start()
    shell.start_window.move(20, 20)
    return lambda: shot("01-start", shell.start_window)


@step
def unlock_screen():
    shell.show_unlock(vault_path)
    shell.unlock_window.move(20, 20)
    return lambda: shot("02-unlock", shell.unlock_window)


@step
def wrong_passphrase():
    shell.unlock_window.passphrase.setText("wrong passphrase here")
    shell.unlock_window.attempt_unlock()
    return lambda: shot("03-unlock-wrong", shell.unlock_window)


@step
def main_window():
    user = os.environ.get("SHOTS_USER", "demo-admin")
    shell.unlock_window.user_box.setCurrentText(user)
    shell.unlock_window.passphrase.setText(PASS if user == "demo-admin" else "lantern quartz meadow 77")
    shell.unlock_window.attempt_unlock()
    return None


def area_shots():
    main = shell.main_window
    if main is None:
        return lambda: None
    actions = []
    for row in range(main.nav.count()):
        key = main.nav.item(row).data(QtCore.Qt.ItemDataRole.UserRole)
        actions.append((row, key))

    def run():
        for row, key in actions:
            main.nav.setCurrentRow(row)
            for _ in range(5):
                app.processEvents()
            shot(f"10-area-{row:02d}-{key}", main)
            if key == "meetings":
                meeting_shots(main, row)
        extra_shots(main)
        shell.lock("idle")
        app.processEvents()
        shot("20-locked", shell.unlock_window)

    return run


def _settle(rounds=5):
    for _ in range(rounds):
        app.processEvents()


def extra_shots(main):
    """The request form, the breach dialog and the shortcuts list, as a keyboard user meets them."""
    if hasattr(main, "new_request_action"):
        main.new_request()
        _settle()
        shot("15-request-form", main)
        main.area("requests").form.requester_name.setText("DS Example")
        main.new_request_action.trigger()   # asks first: something was typed
        _settle()
        shot("16-discard-question")
        box = QtWidgets.QApplication.activeModalWidget()
        if box is not None:
            box.discard_button.click()
    if hasattr(main, "report_breach_action"):
        dialog = main.report_breach()
        _settle()
        shot("17-breach-dialog", dialog)
        dialog.close()
    from ui.shell import help as help_pages

    shortcuts = help_pages.open_shortcuts(main)
    _settle()
    shot("18-shortcuts", shortcuts)
    shortcuts.close()
    guide = help_pages.open_guide(main)
    _settle()
    shot("19-guide", guide)
    guide.close()
    meetings = main.area("meetings")
    if meetings is not None and main.show_area("meetings") and meetings.summaries:
        meetings.select(meetings.summaries[0].id)
        meetings.open_pack()
        from ui import worker
        from ui.kit.preview import ReportPreview

        import time

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            _settle(2)
            time.sleep(0.05)
            if worker.pending() == 0 and any(isinstance(w, ReportPreview) for w in app.topLevelWidgets()):
                break
        for widget in app.topLevelWidgets():
            if isinstance(widget, ReportPreview) and widget.isVisible():
                _settle()
                shot("19-print-preview", widget)
                widget.close()
    breaches = main.area("breaches")
    if breaches is not None and main.show_area("breaches"):
        _settle()
        if getattr(breaches, "table", None) is not None and breaches.model.rowCount():
            breaches.table.selectRow(0)
            _settle()
        shot("19-breach-detail", main)


def meeting_shots(main, row):
    """The held demo meeting, top to bottom (SHOTS_USER=demo-chair shows the chair's forms)."""
    area = main.area("meetings")
    held = next((n for n, m in enumerate(area.summaries) if m.status == "held"), 0)
    area.table.selectRow(held)
    for _ in range(5):
        app.processEvents()
    bar = area.detail_scroll.verticalScrollBar()
    page = max(1, area.detail_scroll.viewport().height() - 80)
    for n in range(0, 20):
        bar.setValue(n * page)
        for _ in range(3):
            app.processEvents()
        shot(f"10-area-{row:02d}-meetings-{n:02d}", main)
        if bar.value() >= bar.maximum():
            break


def run_steps(index=0):
    if index < len(steps):
        after = steps[index]()
        QtCore.QTimer.singleShot(700, lambda: ((after and after()), run_steps(index + 1)))
    else:
        QtCore.QTimer.singleShot(1500, lambda: (area_shots()(), app.quit()))


QtCore.QTimer.singleShot(100, run_steps)
app.exec()
