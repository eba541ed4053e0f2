"""The one question (confirm) box, the one information box and the one way to word an error."""

from __future__ import annotations

from app.errors import SpocError
from ui.qt import QtWidgets
from ui.kit.widgets import PLAIN_TEXT, _set_property

# Imported by ui.worker, so before the unlock screen shows: nothing here names the Qt namespace
# (see ui/kit/widgets.py); the text format is set by Qt's own value.


def error_text(exc: BaseException, fallback: str) -> str:
    if isinstance(exc, SpocError) and exc.args:
        return str(exc.args[0])
    return fallback


def question_box(parent, title: str, text: str, accept_text: str) -> QtWidgets.QMessageBox:
    """A plain-text confirmation with a named action button (`box.accept_button`, also `ok_button`
    as the kit's form dialogs name theirs) and Cancel, the default button (Enter and Escape cancel)."""
    box = QtWidgets.QMessageBox(parent)
    box.setIcon(QtWidgets.QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    _set_property(box, "textFormat", PLAIN_TEXT)
    box.setText(text)
    box.accept_button = box.addButton(accept_text, QtWidgets.QMessageBox.ButtonRole.AcceptRole)
    box.ok_button = box.accept_button
    box.cancel_button = box.addButton(QtWidgets.QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(box.cancel_button)
    box.setEscapeButton(box.cancel_button)
    return box


def info_box(parent, title: str, text: str, *, warning: bool = False) -> QtWidgets.QMessageBox:
    """A plain-text message with OK (information, or a warning); the caller opens it."""
    icon = QtWidgets.QMessageBox.Icon.Warning if warning else QtWidgets.QMessageBox.Icon.Information
    box = QtWidgets.QMessageBox(icon, title, "", QtWidgets.QMessageBox.StandardButton.Ok, parent)
    _set_property(box, "textFormat", PLAIN_TEXT)
    box.setText(text)
    return box
