"""Work off the GUI thread (Anki's habit): run a plain function in Qt's thread pool and get its
result or exception back as a signal on the GUI thread."""

from __future__ import annotations

import ctypes
import sys
from typing import Any, Callable

from ui.qt import QtCore, Signal

_running: set["Task"] = set()  # keeps tasks (and their signal objects) alive until they report


class _Signals(QtCore.QObject):
    done = Signal(object)
    failed = Signal(object)


def _emit_drops_a_reference_to_true() -> bool:
    """PySide6 6.12 returns True from `SignalInstance.emit()` without a new reference, so each
    call leaves True's reference count one lower (Python 3.11 has no immortal objects). A long
    session of background work drove it to zero: "bool_dealloc: deallocating True or False" and
    an abort at exit (seen after scrolling 100,000 requests). Measured once, here."""

    class Probe(QtCore.QObject):
        ping = Signal()

    probe = Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.ping.emit()
    return sys.getrefcount(True) < before


_EMIT_DROPS_TRUE = _emit_drops_a_reference_to_true()


def emit(signal, *args) -> None:
    """`signal.emit(*args)`, giving back the reference to True a broken PySide6 takes."""
    signal.emit(*args)
    if _EMIT_DROPS_TRUE:
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))


class Task(QtCore.QRunnable):
    def __init__(self, work: Callable[[], Any]):
        super().__init__()
        self.setAutoDelete(False)
        self.work = work
        self.signals = _Signals()

    def run(self) -> None:
        try:
            result = self.work()
        except BaseException as exc:  # reported to the GUI thread, which shows a clear message
            emit(self.signals.failed, exc)
        else:
            emit(self.signals.done, result)


def run_in_background(work: Callable[[], Any], on_done: Callable[[Any], None],
                      on_failed: Callable[[BaseException], None]) -> Task:
    task = Task(work)

    def finish(handler, value):
        _running.discard(task)
        handler(value)

    task.signals.done.connect(lambda value: finish(on_done, value), QtCore.Qt.ConnectionType.QueuedConnection)
    task.signals.failed.connect(lambda exc: finish(on_failed, exc), QtCore.Qt.ConnectionType.QueuedConnection)
    _running.add(task)
    QtCore.QThreadPool.globalInstance().start(task)
    return task
