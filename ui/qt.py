"""The one Qt shim: every module in ui/ takes its Qt names from here, never from PySide6.

Keeping the binding behind one import means a change of binding or version touches one file.
The PDF and printing modules load on first use (PEP 562), so they do not slow the start screen;
so does `Qt`: the first touch of the Qt namespace makes PySide build the Python enums of all of
it (about 170, some 30 ms), which the unlock screen does without (see ui/kit/widgets.py).
"""

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


# ---- None (and True and False) returned without a reference ---------------------------------
#
# The root cause, measured: PySide6 6.12 on Python 3.11 hands back None without a new reference
# from every call into Qt that returns nothing — a void method (setText, setPos, setItem,
# setData, setVisible...) — and from every call whose QVariant result is empty
# (QTableWidgetItem.data(role) of a role never set). Python then drops the reference it never
# got, so each such call leaves None's count one lower, whatever the screen does: a model whose
# data() returns None to Qt costs nothing, and avoiding None in models or signals does not help.
# Any area aborts the interpreter ("none_dealloc") after some tens of thousands of ordinary
# calls: a relationship map at once, a long session in any area. Python 3.12 makes None, True
# and False immortal (PEP 683) for this reason; here, where the leak is measured, they are given
# the same effectively endless reserve of references once at import: one write of each count,
# no per-call cost. A fixed PySide6 (or Python 3.12+) measures no leak and is left alone.

IMMORTAL_RESERVE = 1 << 60  # 1.15e18 calls: centuries of calls a second; far from the 2**63 limit


def _void_calls_borrow_none() -> bool:
    probe = QtCore.QObject()
    before = sys.getrefcount(None)
    for _ in range(16):
        probe.setObjectName("probe")
    return sys.getrefcount(None) < before


def _give_an_endless_reserve(*objects) -> None:
    """Raise each object's reference count by IMMORTAL_RESERVE (CPython: ob_refcnt is the first
    field of the object, at its id)."""
    import ctypes

    for obj in objects:
        ctypes.c_ssize_t.from_address(id(obj)).value += IMMORTAL_RESERVE


BORROWED_NONE = sys.version_info < (3, 12) and _void_calls_borrow_none()
if BORROWED_NONE:
    _give_an_endless_reserve(None, True, False)

