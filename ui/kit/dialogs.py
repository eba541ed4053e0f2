"""The one question (confirm) box, the one information box and the one way to word an error."""

from __future__ import annotations

from app.errors import SpocError
from ui.qt import QtWidgets
from ui.kit.keys import primary_button
from ui.kit.guard import GuardedDialog
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


class FormDialog(GuardedDialog, QtWidgets.QDialog):
    """A short form in a dialog, GOV.UK style: an intro, one column of labelled fields, the error
    summary at the top on a failed save with each field's own message, and a named action button.

    `add(key, label, widget, hint)` adds a field; `on_submit(dialog)` does the work through app/
    and raises app.records.Invalid (or another SpocError) to keep the dialog open with the problems
    shown; on success the dialog accepts. Escape cancels; Enter in a one-line field submits."""

    def __init__(self, parent, title: str, intro: str, action_text: str, on_submit):
        from ui.kit.widgets import ErrorSummary, plain_label

        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        self.setMinimumWidth(520)
        self._on_submit = on_submit
        self.rows: dict = {}
        self.labels: dict[str, str] = {}
        self._layout = QtWidgets.QVBoxLayout(self)
        self.summary = ErrorSummary()
        self._layout.addWidget(self.summary)
        self.intro = plain_label(intro)
        self._layout.addWidget(self.intro)
        self._fields = QtWidgets.QVBoxLayout()
        self._layout.addLayout(self._fields)
        buttons = QtWidgets.QDialogButtonBox()
        self.accept_button = buttons.addButton(action_text, QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        primary_button(self.accept_button)   # Ctrl+S presses it; styled by resources/style.qss
        self.cancel_button = buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.accept_button.clicked.connect(self.submit)
        self.cancel_button.clicked.connect(self.reject)
        self._layout.addWidget(buttons)
        self.error = None

    def add(self, key: str, label: str, widget: QtWidgets.QWidget, hint: str = "") -> QtWidgets.QWidget:
        from ui.kit.widgets import FieldRow

        row = FieldRow(label, widget, hint)
        self.rows[key] = row
        self.labels[key] = label.replace("&", "")
        self._fields.addWidget(row)
        return widget

    def submit(self) -> None:
        from app.records import Invalid
        from ui.kit.widgets import show_field_problems

        try:
            self._on_submit(self)
        except Invalid as exc:
            problems = [(p.field, p.message) for p in exc.problems]
            show_field_problems(self.rows, self.summary, problems, self.labels)
            return
        except SpocError as exc:
            self.summary.show_problems([(None, error_text(exc, "That could not be done."))])
            return
        self.accept()
