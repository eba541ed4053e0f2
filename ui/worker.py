"""Work off the GUI thread (Anki's habit): run a plain function in Qt's thread pool and get its
result or exception back on the GUI thread.

`Op` is how a screen starts long work, in the spirit of Anki's `CollectionOp` / `QueryOp`:

    Op(self, lambda: core.list_breaches(vault, status="open"), "The breach log could not be read.") \
        .busy(self.table).error_to(self.counts).success(self._show).run()

- the core function runs in the thread pool and takes plain arguments (never a widget);
- while it runs, the widget that started it (the op's owner) shows a busy cursor, and the
  widgets given to `busy()` are disabled (a callable given there is called with True, then False);
- on failure the error is shown in words (kit's `error_text`: a SpocError's own sentence, else the
  op's fallback) where `error_to()` says, or in a warning box over the owner; `failure()` replaces
  that with a handler of its own (called with the exception);
- on success `success(fn)` gets the result, then each `refresh(fn)` is called;
- an op whose screen has gone drops its result quietly: the owner was destroyed, the shell
  closed its window (`abandon_within`), a newer op replaced it (`cancel`), or the vault locked
  (`abandon_all`). A result that holds something to let go of (an opened vault) goes to
  `abandoned(fn)` instead.

Locking never waits for running work (ui/shell/shell.py): `refusing_new_work()` refuses new work
while the lock runs, `abandon_all()` drops every running op's result, and `Vault.interrupt()`
stops the vault serving other threads; the work itself ends in the pool (at its next statement,
its transaction rolled back, or finished if it needed no statement), and nothing reaches a screen.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from typing import Any, Callable, Iterator

from app.errors import SpocError
from ui.qt import QtCore, QtWidgets, Signal

log = logging.getLogger(__name__)

_running: set["Task"] = set()  # keeps tasks (and their signal objects) alive until they report
_ops: set["Op"] = set()        # ops whose result is still to come (not yet reported nor dropped)
_refusing = 0                  # > 0 while a lock is under way: no new work starts


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


_collector: QtCore.QTimer | None = None


def _collect_garbage() -> None:
    """Python's cyclic collector, run here on the GUI thread only (as CPython's thresholds would)."""
    if gc.isenabled():
        gc.disable()  # something turned it back on: collection stays on this thread
    limit0, limit1, limit2 = gc.get_threshold()
    count0, count1, count2 = gc.get_count()
    if count0 > limit0:
        gc.collect(2 if count2 > limit2 else 1 if count1 > limit1 else 0)


def collect_on_gui_thread() -> None:
    """Move Python's cyclic garbage collection onto the GUI thread, once, before any background
    work starts. Left automatic, the collector runs in whichever thread happens to allocate; in a
    worker it can free the last reference to a Qt object of the GUI thread (a closure over a
    widget, a cycle through a signal) and Qt destroys it from the wrong thread, which crashed a
    print preview's report build (Fatal Python error: Segmentation fault, "Garbage-collecting",
    in a worker thread). Reference counting still frees everything else at once; cycles wait for
    this timer, at most a quarter of a second."""
    global _collector
    app = QtCore.QCoreApplication.instance()
    if _collector is not None or app is None or QtCore.QThread.currentThread() is not app.thread():
        return
    _collector = QtCore.QTimer(app)
    _collector.setInterval(250)
    _collector.timeout.connect(_collect_garbage)
    _collector.start()
    gc.disable()


def run_in_background(work: Callable[[], Any], on_done: Callable[[Any], None],
                      on_failed: Callable[[BaseException], None]) -> Task | None:
    """The primitive under `Op`; None (and neither handler is ever called) while a lock refuses work."""
    if _refusing:
        return None
    collect_on_gui_thread()
    task = Task(work)

    def finish(handler, value):
        _running.discard(task)
        handler(value)

    task.signals.done.connect(lambda value: finish(on_done, value), QtCore.Qt.ConnectionType.QueuedConnection)
    task.signals.failed.connect(lambda exc: finish(on_failed, exc), QtCore.Qt.ConnectionType.QueuedConnection)
    _running.add(task)
    QtCore.QThreadPool.globalInstance().start(task)
    return task


# ---- the lock's side ------------------------------------------------------------------------


@contextlib.contextmanager
def refusing_new_work() -> Iterator[None]:
    """While the block runs (a lock), `run_in_background` and `Op.run` start nothing."""
    global _refusing
    _refusing += 1
    try:
        yield
    finally:
        _refusing -= 1


def abandon_all() -> int:
    """Drop the result of every running op (the vault is locking); returns how many there were."""
    ops = list(_ops)
    for op in ops:
        op.cancel()
    return len(ops)


def abandon_within(root: QtCore.QObject) -> int:
    """Drop the result of every running op started by `root` or anything inside it (a window the
    shell is closing: deleteLater alone leaves it alive until the event loop gets to it)."""
    ops = [op for op in _ops if _inside(op.owner, root)]
    for op in ops:
        op.cancel()
    return len(ops)


def pending() -> int:
    """How many ops still have a result to deliver (tests wait for none)."""
    return len(_ops)


def _alive(obj: QtCore.QObject | None) -> bool:
    if obj is None:
        return False
    try:
        obj.objectName()  # raises once Qt has deleted the C++ object
    except RuntimeError:
        return False
    return True


def _inside(obj: QtCore.QObject | None, root: QtCore.QObject) -> bool:
    while obj is not None:
        if obj is root:
            return True
        try:
            obj = obj.parent()
        except RuntimeError:
            return False
    return False


# ---- the operation --------------------------------------------------------------------------


_BUSY_PROPERTY = "spocdeskBusy"  # on the owner: how many of its ops are running


class Op:
    def __init__(self, owner: QtCore.QObject, work: Callable[[], Any],
                 fallback: str = "That could not be done. Try again."):
        self.owner = owner
        self.work = work
        self.fallback = fallback
        self._success: Callable[[Any], None] | None = None
        self._refresh: list[Callable[[], None]] = []
        self._failure: Callable[[BaseException], None] | None = None
        self._error_to = None
        self._abandoned: Callable[[Any], None] | None = None
        self._busy: list = []
        self._disabled: list[QtWidgets.QWidget] = []
        self.started = False
        self.dropped = False
        self._busy_shown = False

    # ---- building -----------------------------------------------------------------------------

    def success(self, fn: Callable[[Any], None]) -> "Op":
        self._success = fn
        return self

    def refresh(self, fn: Callable[[], None]) -> "Op":
        self._refresh.append(fn)
        return self

    def failure(self, fn: Callable[[BaseException], None]) -> "Op":
        self._failure = fn
        return self

    def error_to(self, target) -> "Op":
        """Where the error is shown in words: a QLabel (text set, shown), an ErrorSummary (one
        problem) or a callable taking the text."""
        self._error_to = target
        return self

    def busy(self, *targets) -> "Op":
        """Widgets disabled while the work runs, or callables told True then False."""
        self._busy.extend(targets)
        return self

    def abandoned(self, fn: Callable[[Any], None]) -> "Op":
        """Called (quietly, on the GUI thread) with a result that arrives after the op was dropped."""
        self._abandoned = fn
        return self

    # ---- running ------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self in _ops

    def run(self) -> "Op":
        """Start the work; refused (nothing is called) while a lock is under way or if the owner
        has gone already."""
        if self.started or _refusing or not _alive(self.owner):
            return self
        task = run_in_background(self.work, self._done, self._failed)
        if task is None:
            return self
        self.started = True
        _ops.add(self)
        self._set_busy(True)
        return self

    def cancel(self) -> None:
        """Drop the result when it comes (a newer op replaces this one, or its screen has gone)."""
        if self in _ops:
            _ops.discard(self)
            self.dropped = True
            self._set_busy(False)

    def _done(self, result) -> None:
        if not self._deliverable():
            if self._abandoned is not None:
                self._abandoned(result)
            return
        self._set_busy(False)
        self._call(self._success, result)
        for fn in self._refresh:
            self._call(fn)

    def _failed(self, exc: BaseException) -> None:
        if not self._deliverable():
            return
        self._set_busy(False)
        if not isinstance(exc, SpocError):
            log.error("op.failed error=%s", type(exc).__name__)
        if self._failure is not None:
            self._call(self._failure, exc)
            return
        from ui.kit.dialogs import error_text  # here: its `Qt` import is not for the unlock screen's start-up

        self._call(self._show_error, error_text(exc, self.fallback))

    def _deliverable(self) -> bool:
        if self not in _ops:
            return False
        _ops.discard(self)
        if not _alive(self.owner):
            self.dropped = True
            return False
        return True

    def _call(self, fn, *args) -> None:
        if fn is None:
            return
        try:
            fn(*args)
        except RuntimeError:
            # a widget of the screen was deleted while the work ran (the screen is going)
            if _alive(self.owner):
                raise

    def _show_error(self, text: str) -> None:
        target = self._error_to
        if target is None:
            from ui.kit.dialogs import info_box

            parent = self.owner.window() if isinstance(self.owner, QtWidgets.QWidget) else None
            info_box(parent, "SPOC Desk", text, warning=True).open()
        elif callable(getattr(target, "show_problems", None)):
            target.show_problems([(None, text)])
        elif isinstance(target, QtWidgets.QLabel):
            target.setText(text)
            target.show()
        else:
            target(text)

    def _set_busy(self, busy: bool) -> None:
        if busy == self._busy_shown:
            return
        self._busy_shown = busy
        owner = self.owner
        if isinstance(owner, QtWidgets.QWidget) and _alive(owner):
            count = max(0, int(owner.property(_BUSY_PROPERTY) or 0) + (1 if busy else -1))
            owner.setProperty(_BUSY_PROPERTY, count)
            if count and busy:
                owner.setCursor(QtCore.Qt.CursorShape.BusyCursor)
            elif not count:
                owner.unsetCursor()
        if busy:
            self._disabled = []
        for target in self._busy:
            if isinstance(target, QtWidgets.QWidget):
                if not _alive(target):
                    continue
                if busy and target.isEnabled():
                    target.setEnabled(False)
                    self._disabled.append(target)
                elif not busy and target in self._disabled:
                    target.setEnabled(True)
            elif callable(target):
                self._call(target, busy)


def is_busy(owner: QtWidgets.QWidget) -> bool:
    """Whether ops started by `owner` are running (its busy state)."""
    return bool(owner.property(_BUSY_PROPERTY))
