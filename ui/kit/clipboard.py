"""Text copied from the app is cleared from the clipboard after 30 seconds, and on lock or quit,
unless the user has copied something else since (then it is theirs, not ours)."""

from __future__ import annotations

from ui.qt import QtCore, QtGui

CLEAR_AFTER_MS = 30_000


class ClipboardGuard(QtCore.QObject):
    def __init__(self, parent: QtCore.QObject | None = None, clear_after_ms: int = CLEAR_AFTER_MS):
        super().__init__(parent)
        self._ours: str | None = None
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(clear_after_ms)
        self._timer.timeout.connect(self.clear_if_ours)

    @property
    def timer(self) -> QtCore.QTimer:
        return self._timer

    def copy(self, text: str) -> None:
        QtGui.QGuiApplication.clipboard().setText(text)
        self._ours = text
        self._timer.start()

    def clear_if_ours(self) -> None:
        self._timer.stop()
        if self._ours is None:
            return
        clipboard = QtGui.QGuiApplication.clipboard()
        if clipboard.text() == self._ours:
            clipboard.clear()
        self._ours = None


_guard: ClipboardGuard | None = None


def guard() -> ClipboardGuard:
    """The application's one guard; every copy button goes through it."""
    global _guard
    if _guard is None:
        _guard = ClipboardGuard(QtCore.QCoreApplication.instance())
    return _guard


def copy_text(text: str) -> None:
    guard().copy(text)
