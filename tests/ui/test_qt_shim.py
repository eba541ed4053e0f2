"""The Qt shim's guard against PySide6 6.12's emit() reference bug: without it every Python
emit lowers True's reference count, and an ordinary session aborts the interpreter."""

from __future__ import annotations

import gc
import sys

from ui.qt import QtCore, Signal
from ui.worker import run_in_background


class Pinger(QtCore.QObject):
    ping = Signal()
    carry = Signal(object)


def test_emitting_from_python_leaves_the_bools_alone():
    pinger = Pinger()
    received = []
    pinger.carry.connect(received.append)
    before_true, before_false = sys.getrefcount(True), sys.getrefcount(False)
    for n in range(200):
        pinger.ping.emit()
        pinger.carry.emit(n)
    assert received == list(range(200))
    assert sys.getrefcount(True) >= before_true and sys.getrefcount(False) >= before_false


def test_many_background_tasks_do_not_wear_the_interpreter_down(qtbot):
    """Each task reports by a signal from a worker thread: a day's work is thousands of them."""
    gc.disable()  # other tests' garbage holding True must not be collected in the middle
    try:
        before = sys.getrefcount(True)
        done = []
        for n in range(300):
            run_in_background(lambda n=n: n, done.append, lambda exc: done.append(exc))
        qtbot.waitUntil(lambda: len(done) == 300, timeout=20_000)
        after = sys.getrefcount(True)
    finally:
        gc.enable()
    assert sorted(done) == list(range(300))
    assert after > before - 100  # with the bug: 300 lower (one per task)


def test_pyside_s_import_hook_reads_sources_quickly_with_the_same_answers():
    """PySide asks of each module imported whether its source mentions PySide6; the shim answers
    from the file's bytes (the start screen imports ~150 modules), and agrees with PySide."""
    import app.errors
    import ui.kit.widgets

    import inspect

    feature = sys.modules["shibokensupport.feature"]
    quick = feature._mod_uses_pyside
    assert getattr(quick, "quicker", False)
    for module, uses in ((ui.kit.widgets, False), (sys.modules["ui.qt"], True), (app.errors, False)):
        assert quick(module) is uses is ("PySide6" in inspect.getsource(module))
    assert quick(sys) is False  # a built-in module has no source: PySide's own answer
