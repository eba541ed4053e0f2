"""The one question (confirm) box, the one information box and the one way to word an error;
the one way to open a dialog (`open_then`: never a nested event loop) and FormDialog.

A dialog opens with `open()` (window-modal over its parent, no `exec()`): the code that used to run
after `exec()` runs in a handler, and only while the screen that opened it is still there with its
vault open (`still_there`). A lock closes every dialog (rejecting it), empties the window and
closes the vault, so a handler must never reach a screen that has gone.
"""

from __future__ import annotations

from typing import Callable

from app.errors import SpocError
from ui.qt import QtWidgets
from ui.kit.keys import primary_button
from ui.kit.guard import GuardedDialog, input_snapshot
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


def still_there(owner) -> bool:
    """The screen `owner` still exists and (if it has a session) its vault is still open."""
    from ui.worker import _alive  # here: ui.worker imports this module

    if not _alive(owner):
        return False
    session = getattr(owner, "session", None)
    if session is None:
        return True
    vault = getattr(session, "vault", None)
    return vault is not None and bool(getattr(vault, "is_open", True))


def open_then(dialog: QtWidgets.QDialog, owner, then: Callable[[], None],
              confirmed: Callable[[], bool] | None = None) -> QtWidgets.QDialog:
    """Open `dialog` without blocking (`open()`) and run `then()` once it finishes accepted (or,
    for a question box, once `confirmed()` says its action button was chosen), if `owner` is still
    there then. Cancel, Escape and a lock run nothing. Returns the dialog."""
    def finished(result: int) -> None:
        chosen = confirmed() if confirmed is not None else result == QtWidgets.QDialog.DialogCode.Accepted.value
        if chosen and still_there(owner):
            then()

    dialog.finished.connect(finished)
    dialog.open()
    return dialog


def confirm_then(box: QtWidgets.QMessageBox, owner, then: Callable[[], None]) -> QtWidgets.QMessageBox:
    """Open a `question_box` without blocking and run `then()` only on its action button."""
    return open_then(box, owner, then, confirmed=lambda: box.clickedButton() is box.accept_button)


def field_value(widget):
    """What a form field holds, as a draft keeps it: a choice by its data, a date as typed."""
    from ui.kit.fields import CheckList, DateField

    if isinstance(widget, QtWidgets.QComboBox):
        return widget.currentData() or ""
    if isinstance(widget, DateField):
        return widget.text()
    if isinstance(widget, CheckList):
        return widget.values()
    if isinstance(widget, QtWidgets.QAbstractButton):
        return widget.isChecked()
    if isinstance(widget, QtWidgets.QPlainTextEdit):
        return widget.toPlainText()
    return widget.text()


def set_field_value(widget, value) -> None:
    from ui.kit.fields import CheckList, DateField

    if isinstance(widget, QtWidgets.QComboBox):
        index = widget.findData(value if isinstance(value, str) else "")
        if index >= 0:
            widget.setCurrentIndex(index)
    elif isinstance(widget, DateField):
        widget.setText(value if isinstance(value, str) else "")
    elif isinstance(widget, CheckList):
        widget.set_values(value if isinstance(value, list) else [])
    elif isinstance(widget, QtWidgets.QAbstractButton):
        widget.setChecked(value is True)
    elif isinstance(value, str):
        if isinstance(widget, QtWidgets.QPlainTextEdit):
            widget.setPlainText(value)
        else:
            widget.setText(value)


class FormDialog(GuardedDialog, QtWidgets.QDialog):
    """A short form in a dialog, GOV.UK style: an intro, one column of labelled fields, the error
    summary at the top on a failed save with each field's own message, and a named action button.

    `add(key, label, widget, hint)` adds a field; `on_submit(dialog)` does the work through app/
    and raises app.records.Invalid (or another SpocError) to keep the dialog open with the problems
    shown; on success the dialog accepts. Escape cancels; Enter in a one-line field submits.

    `keep_over_lock(key, context)` makes its typing survive a lock: the shell keeps
    `draft_state()` (the fields by key, and `context`: which record and action it was for) as an
    encrypted draft under `key`, and the opener ui.shell.shell.DIALOG_DRAFTS names for that key
    opens the dialog again after unlock and gives the fields back (`restore_draft_state`)."""

    draft_key = ""   # set by keep_over_lock(); a dialog without one keeps nothing over a lock

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

    def keep_over_lock(self, key: str, context: dict) -> None:
        self.draft_key = key
        self.draft_context = dict(context)

    def values(self) -> dict:
        return {key: field_value(row.field) for key, row in self.rows.items()}

    def draft_state(self) -> dict | None:
        """None when nothing was changed since the dialog showed (so Cancel asks nothing)."""
        if self._guard_baseline is None or input_snapshot(self) == self._guard_baseline:
            return None
        return {"context": dict(getattr(self, "draft_context", {})), "fields": self.values()}

    def restore_draft_state(self, payload: dict) -> None:
        fields = payload.get("fields") if isinstance(payload, dict) else None
        if not isinstance(fields, dict):
            return
        for key, row in self.rows.items():   # in order: a choice may fill the fields after it
            if key in fields:
                set_field_value(row.field, fields[key])

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
