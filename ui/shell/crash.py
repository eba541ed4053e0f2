"""The desktop's exception hook: an unexpected error shows one plain message, is written to the
log by its class and frames only (file, line, function: no message, no values), and locks the
vault when its state is in doubt (the error came from the vault's own code or its database), so
nothing half-done stays on screen or in memory.
"""

from __future__ import annotations

import logging
import sys
import threading

log = logging.getLogger(__name__)

MESSAGE = ("Something went wrong in SPOC Desk. What you were doing may not have been saved. "
           "The details (without any personal data) are in the log file.")
LOCKED = " The vault was locked to keep it safe: unlock it to carry on."


def state_in_doubt(exc: BaseException) -> bool:
    """True when the error passed through the vault's code or came from its database."""
    try:
        import sqlcipher3

        if isinstance(exc, sqlcipher3.Error):
            return True
    except ImportError:  # pragma: no cover
        pass
    tb = exc.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if module.startswith(("app.vault", "app.audit")):
            return True
        tb = tb.tb_next
    return False


class CrashHook:
    def __init__(self, shell):
        self.shell = shell
        self._showing = False
        self.last_message: str | None = None
        self.previous = sys.excepthook

    def install(self) -> "CrashHook":
        sys.excepthook = self
        threading.excepthook = lambda args: self(args.exc_type, args.exc_value, args.exc_traceback)
        return self

    def __call__(self, exc_type, exc, tb) -> None:
        if exc is None or isinstance(exc, (KeyboardInterrupt, SystemExit)):
            self.previous(exc_type, exc, tb)
            return
        try:
            from app.logsetup import log_crash

            if exc.__traceback__ is None:
                exc = exc.with_traceback(tb)
            log_crash(exc, where="desktop")
            locked = False
            if state_in_doubt(exc) and getattr(self.shell, "session", None) is not None:
                try:
                    self.shell.lock("error")
                    locked = True
                except Exception:  # noqa: BLE001 - the lock is best effort inside a failure
                    log.error("crash.lock_failed")
            self.last_message = MESSAGE + (LOCKED if locked else "")
            self._tell(self.last_message)
        except Exception:  # noqa: BLE001 - never let the hook itself raise
            log.error("crash.hook_failed")

    def _tell(self, text: str) -> None:
        if self._showing:
            return  # one message at a time, not a cascade
        from ui.qt import Qt, QtWidgets

        if QtWidgets.QApplication.instance() is None or threading.current_thread() is not threading.main_thread():
            return
        self._showing = True
        try:
            box = QtWidgets.QMessageBox(QtWidgets.QApplication.activeWindow())
            box.setIcon(QtWidgets.QMessageBox.Icon.Warning)
            box.setWindowTitle("SPOC Desk")
            box.setTextFormat(Qt.TextFormat.PlainText)
            box.setText(text)
            box.open()
            self.box = box
        finally:
            self._showing = False
