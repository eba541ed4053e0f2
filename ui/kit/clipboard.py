"""Text copied from the app is cleared from the clipboard after 30 seconds, and on lock or quit,
unless the user has copied something else since (then it is theirs, not ours).

Every copy also carries the platforms' "do not keep this" hints: Windows' clipboard history and
cloud clipboard exclusion formats (and the monitor-processing exclusion that clipboard managers
honour), and KDE Klipper's password-manager hint, so a copied value is not kept in a history or
sent to other devices after the app has cleared it."""

from __future__ import annotations

from ui.qt import QtCore, QtGui

CLEAR_AFTER_MS = 30_000
_WINDOWS_FORMAT = 'application/x-qt-windows-mime;value="{}"'
_DWORD_ZERO = b"\x00\x00\x00\x00"
# (mime type, data): Windows formats through Qt's windows-mime bridge, KDE's by name.
HISTORY_EXCLUSION_HINTS = (
    (_WINDOWS_FORMAT.format("ExcludeClipboardContentFromMonitorProcessing"), b"\x01"),
    (_WINDOWS_FORMAT.format("CanIncludeInClipboardHistory"), _DWORD_ZERO),
    (_WINDOWS_FORMAT.format("CanUploadToCloudClipboard"), _DWORD_ZERO),
    ("x-kde-passwordManagerHint", b"secret"),
)


def private_mime(text: str) -> QtCore.QMimeData:
    """Plain text with every "do not keep in history" hint."""
    data = QtCore.QMimeData()
    data.setText(text)
    for mime, value in HISTORY_EXCLUSION_HINTS:
        data.setData(mime, QtCore.QByteArray(value))
    return data


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
        QtGui.QGuiApplication.clipboard().setMimeData(private_mime(text))
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
