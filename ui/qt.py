"""The one Qt shim: every module in ui/ takes its Qt names from here, never from PySide6.

Keeping the binding behind one import means a change of binding or version touches one file.
The PDF and printing modules load on first use (PEP 562), so they do not slow the start screen.
"""

import importlib

from PySide6 import QtCore, QtGui, QtWidgets  # noqa: F401
from PySide6.QtCore import Qt, Signal, Slot  # noqa: F401

_ON_FIRST_USE = ("QtPdf", "QtPdfWidgets", "QtPrintSupport")

__all__ = ["QtCore", "QtGui", "QtWidgets", "Qt", "Signal", "Slot"]  # and the modules in _ON_FIRST_USE


def __getattr__(name: str):
    if name in _ON_FIRST_USE:
        module = importlib.import_module(f"PySide6.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
