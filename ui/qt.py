"""The one Qt shim: every module in ui/ takes its Qt names from here, never from PySide6.

Keeping the binding behind one import means a change of binding or version touches one file.
"""

from PySide6 import QtCore, QtGui, QtPdf, QtPdfWidgets, QtPrintSupport, QtWidgets  # noqa: F401
from PySide6.QtCore import Qt, Signal, Slot  # noqa: F401

__all__ = ["QtCore", "QtGui", "QtPdf", "QtPdfWidgets", "QtPrintSupport", "QtWidgets", "Qt", "Signal", "Slot"]
