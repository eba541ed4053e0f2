"""Work off the GUI thread (Anki's habit): run a plain function in Qt's thread pool and get its
result or exception back as a signal on the GUI thread."""

from __future__ import annotations

from typing import Any, Callable

from ui.qt import QtCore, Signal

_running: set["Task"] = set()  # keeps tasks (and their signal objects) alive until they report


class _Signals(QtCore.QObject):
    done = Signal(object)
    failed = Signal(object)


class Task(QtCore.QRunnable):
    def __init__(self, work: Callable[[], Any]):
        super().__init__()
        self.setAutoDelete(False)
        self.work = work
        self.signals = _Signals()

    def run(self) -> None:
        try:
            result = self.work()
        except BaseException as exc:  # noqa: BLE001 - reported to the GUI thread, which shows a clear message
            self.signals.failed.emit(exc)
        else:
            self.signals.done.emit(result)


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
