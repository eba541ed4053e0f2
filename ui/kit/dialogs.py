"""The one question (confirm) box, the one information box and the one way to word an error."""

from __future__ import annotations

from app.errors import SpocError
from ui.qt import QtWidgets, Qt


def error_text(exc: BaseException, fallback: str) -> str:
    if isinstance(exc, SpocError) and exc.args:
        return str(exc.args[0])
    return fallback


def question_box(parent, title: str, text: str, accept_text: str) -> QtWidgets.QMessageBox:
    """A plain-text confirmation with a named action button (`box.accept_button`) and Cancel."""
    box = QtWidgets.QMessageBox(parent)
    box.setIcon(QtWidgets.QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(text)
    box.accept_button = box.addButton(accept_text, QtWidgets.QMessageBox.ButtonRole.AcceptRole)
    box.cancel_button = box.addButton(QtWidgets.QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(box.cancel_button)
    box.setEscapeButton(box.cancel_button)
    return box


def info_box(parent, title: str, text: str, *, warning: bool = False) -> QtWidgets.QMessageBox:
    icon = QtWidgets.QMessageBox.Icon.Warning if warning else QtWidgets.QMessageBox.Icon.Information
    box = QtWidgets.QMessageBox(icon, title, "", QtWidgets.QMessageBox.StandardButton.Ok, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(text)
    return box
