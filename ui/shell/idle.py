"""Idle lock: any key, click or wheel in any window of the app restarts the countdown."""

from __future__ import annotations

from ui.qt import QtCore, QtWidgets, Signal

_ACTIVITY_NAMES = ("KeyPress", "MouseButtonPress", "MouseMove", "Wheel", "TouchBegin")


class IdleWatcher(QtCore.QObject):
    idle = Signal()

    def __init__(self, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self.timer = QtCore.QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.idle)
        self._installed = False
        self._activity: frozenset = frozenset()  # QEvent types; filled on start, not at import

    def start(self, minutes: float) -> None:
        self.timer.setInterval(max(1, int(minutes * 60_000)))
        if not self._installed:
            self._activity = frozenset(getattr(QtCore.QEvent.Type, name) for name in _ACTIVITY_NAMES)
            QtWidgets.QApplication.instance().installEventFilter(self)
            self._installed = True
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        if self._installed:
            QtWidgets.QApplication.instance().removeEventFilter(self)
            self._installed = False

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() in self._activity and self.timer.isActive():
            self.timer.start()
        return False
