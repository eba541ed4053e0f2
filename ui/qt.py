"""The one Qt shim: every module in ui/ takes its Qt names from here, never from PySide6.

Keeping the binding behind one import means a change of binding or version touches one file.
The PDF and printing modules load on first use (PEP 562), so they do not slow the start screen;
so does `Qt`: the first touch of the Qt namespace makes PySide build the Python enums of all of
it (about 170, some 30 ms), which the unlock screen does without (see ui/kit/widgets.py).
"""

import contextlib
import importlib
import sys

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Signal, Slot

_ON_FIRST_USE = ("QtPdf", "QtPdfWidgets", "QtPrintSupport")

__all__ = ["QtCore", "QtGui", "QtWidgets", "Signal", "Slot"]  # and Qt and the modules in _ON_FIRST_USE


def __getattr__(name: str):
    if name == "Qt":
        globals()["Qt"] = QtCore.Qt
        return QtCore.Qt
    if name in _ON_FIRST_USE:
        module = importlib.import_module(f"PySide6.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _emit_returns_a_borrowed_bool() -> bool:
    """PySide6 6.12 returns True from `SignalInstance.emit()` without a new reference, so every
    emit from Python leaves True's reference count one lower (Python 3.11 has no immortal
    objects). After some hundreds of emits — an ordinary session — the interpreter aborts with
    "bool_dealloc: deallocating True or False". Measured, so a fixed PySide6 is left alone."""

    class Probe(QtCore.QObject):
        ping = Signal()

    probe = Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.ping.emit()
    after = sys.getrefcount(True)
    if after < before:  # give back what the probe took: references held here for good
        global _PROBE_TOOK
        _PROBE_TOOK = (True,) * (before - after)
    return after < before


_PROBE_TOOK: tuple = ()


def _give_back_emit_references() -> None:
    original = QtCore.SignalInstance.emit

    def emit(self, *args):
        result = original(self, *args)
        if result is True or result is False:
            import ctypes  # loaded at the first emit, not before the first window; then a lookup

            ctypes.pythonapi.Py_IncRef(ctypes.py_object(result))
        return result

    QtCore.SignalInstance.emit = emit


if _emit_returns_a_borrowed_bool():
    _give_back_emit_references()


@contextlib.contextmanager
def none_references_kept():
    """PySide6 6.12 on Python 3.11 also returns None from a void method (setPos, setPen, setItem
    ...) without a new reference: each call leaves None's reference count one lower, and a screen
    that makes tens of thousands of calls at once (a relationship map of 500 subjects) aborts the
    interpreter with "none_dealloc". Around such a block, give back what it took."""
    before = sys.getrefcount(None)
    try:
        yield
    finally:
        lost = before - sys.getrefcount(None)
        if lost > 0:
            import ctypes

            incref, none = ctypes.pythonapi.Py_IncRef, ctypes.py_object(None)
            for _ in range(lost):
                incref(none)
