"""Lock when the workstation's session is locked, where the platform tells us.

Windows sends WM_WTSSESSION_CHANGE (WTS_SESSION_LOCK) to windows registered with
WTSRegisterSessionNotification; Linux desktops announce ActiveChanged(true) on the
freedesktop (or GNOME) screensaver D-Bus interface. Elsewhere the idle lock still applies.
"""

from __future__ import annotations

import logging
import sys

from ui.qt import QtCore, QtWidgets, Signal, Slot

log = logging.getLogger(__name__)

WM_WTSSESSION_CHANGE = 0x02B1
WTS_SESSION_LOCK = 0x7
_SCREENSAVERS = (
    ("org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver"),
    ("org.gnome.ScreenSaver", "/org/gnome/ScreenSaver", "org.gnome.ScreenSaver"),
)


class _WindowsSessionFilter(QtCore.QAbstractNativeEventFilter):
    def __init__(self, on_lock):
        super().__init__()
        self._on_lock = on_lock

    def nativeEventFilter(self, event_type, message):  # noqa: N802 - Qt's name
        if event_type == b"windows_generic_MSG":
            import ctypes.wintypes

            msg = ctypes.wintypes.MSG.from_address(int(message))
            if msg.message == WM_WTSSESSION_CHANGE and msg.wParam == WTS_SESSION_LOCK:
                self._on_lock()
        return False, 0


class ScreenLockWatcher(QtCore.QObject):
    screen_locked = Signal()

    def __init__(self, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self.supported = False
        self._filter = None
        if sys.platform.startswith("linux"):
            self._watch_dbus()

    def watch_window(self, window: QtWidgets.QWidget) -> None:
        """Windows only: ask for session notifications for this top-level window."""
        if sys.platform != "win32":
            return
        try:  # pragma: no cover - exercised on Windows only
            import ctypes

            ctypes.windll.wtsapi32.WTSRegisterSessionNotification(int(window.winId()), 0)
            if self._filter is None:
                self._filter = _WindowsSessionFilter(self.screen_locked.emit)
                QtCore.QCoreApplication.instance().installNativeEventFilter(self._filter)
            self.supported = True
        except (OSError, AttributeError):
            log.info("screenlock.windows_unavailable")

    def _watch_dbus(self) -> None:
        try:
            from PySide6 import QtDBus  # the shim covers the core modules; D-Bus is Linux-only
        except ImportError:
            return
        bus = QtDBus.QDBusConnection.sessionBus()
        if not bus.isConnected():
            return
        for service, path, interface in _SCREENSAVERS:
            if bus.connect(service, path, interface, "ActiveChanged", self,
                           QtCore.SLOT("_on_active_changed(bool)")):
                self.supported = True

    @Slot(bool)
    def _on_active_changed(self, active: bool) -> None:
        if active:
            self.screen_locked.emit()
