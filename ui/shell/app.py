"""Start the desktop app: `spocdesk` (start screen) or `spocdesk open VAULT` (its unlock screen)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from app import __version__


def run(vault: Path | None = None, argv: list[str] | None = None) -> int:
    from app.paths import resource_path
    from ui.qt import QtCore, QtGui, QtWidgets
    from ui.shell.shell import Shell

    app = QtWidgets.QApplication.instance()
    if app is None:
        # The style named on the command line costs nothing; setStyle() afterwards costs the
        # unlock screen ~15 ms (PySide builds QStyle's Python enums for the style it returns).
        app = QtWidgets.QApplication([*(argv or [sys.argv[0]]), "-style", "Fusion"])
    else:
        app.setStyle("Fusion")
    app.setApplicationName("SPOC Desk")
    app.setApplicationDisplayName("SPOC Desk")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("SPOC Desk")
    app.setDesktopFileName("spocdesk")  # matches the installed spocdesk.desktop (taskbar grouping)
    from ui.kit import theme

    theme.apply(app)   # resources/style.qss, its colours from the palette in use
    app.setQuitOnLastWindowClosed(False)  # the shell decides: closing the main window locks and quits
    shell = Shell()
    app._spocdesk_shell = shell  # keep the shell alive as long as the application
    from ui.shell.crash import CrashHook

    # An unexpected error: a plain message, class and frames to the log, a lock if in doubt.
    app._spocdesk_crash_hook = CrashHook(shell).install()
    shell.start(vault)
    # The icon (a PNG to decode) follows the first window by one turn of the event loop.
    QtCore.QTimer.singleShot(0, lambda: app.setWindowIcon(QtGui.QIcon(str(resource_path("icons", "spocdesk.png")))))
    # A logoff or shutdown (SIGTERM) or Ctrl+C in a terminal quits through Qt, so the shell
    # locks the vault on the way out. Python only sees signals while its own code runs: the
    # timer gives it that chance twice a second.
    for name in ("SIGTERM", "SIGINT", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), lambda *_: app.quit())
    heartbeat = QtCore.QTimer(app)
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start(500)
    quit_after = os.environ.get("SPOCDESK_QUIT_AFTER_MS", "")
    if quit_after.isdigit():  # smoke tests and the frozen bundle's check: start, show, quit
        QtCore.QTimer.singleShot(int(quit_after), app.quit)
    # Closing the start or unlock window (nothing unlocked) ends the app.
    app.lastWindowClosed.connect(lambda: shell.session is None and app.quit())
    return app.exec()
