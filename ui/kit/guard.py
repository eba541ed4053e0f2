"""Work is never lost without asking: the one "Discard changes?" question, and the one way a form
says it has unsaved changes.

Everything that holds input the user could lose follows one protocol:

- `has_unsaved_changes() -> bool`: there is input that leaving now would throw away;
- `discard_changes()`: throw it away (the user said so), leaving the screen as it was before.

An area (ui.kit.widgets.Area) has both: what a lock would keep as a draft (`draft_state()`) is what
leaving would lose. A dialog takes `GuardedDialog` as its first base: Cancel, Escape and the
window's close button all go through `reject()`, which asks first; its unsaved changes are its
draft (when it keeps one) or else any input that differs from what it showed when it opened.
The main window asks before it closes, switches area or opens another record.

The question is non-blocking (`open()`, never `exec()`): `ask_discard(parent, dirty, then)` runs
`then()` at once when nothing would be lost, or after the user chooses "Discard changes";
"Keep editing" is the default button and Escape's, so Enter or Escape on the question keeps the
work. A lock never asks (`not_asking()`): it keeps the input as an encrypted draft instead.
"""

from __future__ import annotations

import contextlib
from typing import Callable

from ui.qt import QtWidgets

TITLE = "Discard changes?"
KEEP = "Keep editing"
DISCARD = "Discard changes"
TEXT = "You have changes that are not saved. If you leave now they are lost."

_not_asking = 0


@contextlib.contextmanager
def not_asking():
    """Close and discard without asking (the lock: the input is kept as a draft first)."""
    global _not_asking
    _not_asking += 1
    try:
        yield
    finally:
        _not_asking -= 1


def asking() -> bool:
    return _not_asking == 0


def discard_box(parent, text: str = TEXT) -> QtWidgets.QMessageBox:
    """The question: "Keep editing" (default, Enter and Escape) or "Discard changes"."""
    from ui.kit.widgets import PLAIN_TEXT, _set_property

    box = QtWidgets.QMessageBox(parent)
    box.setIcon(QtWidgets.QMessageBox.Icon.Warning)
    box.setWindowTitle(TITLE)
    _set_property(box, "textFormat", PLAIN_TEXT)
    box.setText(TITLE)
    box.setInformativeText(text)
    box.keep_button = box.addButton(KEEP, QtWidgets.QMessageBox.ButtonRole.RejectRole)
    box.discard_button = box.addButton(DISCARD, QtWidgets.QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(box.keep_button)
    box.setEscapeButton(box.keep_button)
    box.setObjectName("discardChangesBox")
    return box


def ask_discard(parent, dirty: bool | Callable[[], bool], then: Callable[[], None],
                keep: Callable[[], None] | None = None) -> QtWidgets.QMessageBox | None:
    """Run `then()` now if nothing would be lost (or a lock is closing things), else ask and run it
    only on "Discard changes" (`keep()` on "Keep editing"). Returns the open question, or None."""
    unsaved = dirty() if callable(dirty) else dirty
    if not unsaved or not asking():
        then()
        return None
    box = discard_box(parent)

    def answered(_result, b=box) -> None:
        if b.clickedButton() is b.discard_button:
            then()
        elif keep is not None:
            keep()

    box.finished.connect(answered)
    if parent is not None:
        parent._discard_question = box   # kept alive while open; tests find it here too
    box.open()
    return box


def open_question(widget) -> QtWidgets.QMessageBox | None:
    """The "Discard changes?" question open over `widget`, if any (tests and the shell)."""
    box = getattr(widget, "_discard_question", None)
    try:
        return box if box is not None and box.isVisible() else None
    except RuntimeError:
        return None


# ---- what a form holds -----------------------------------------------------------------------


def input_snapshot(root: QtWidgets.QWidget) -> tuple:
    """Every value a user can change under `root`, in widget order: text boxes, choices, ticks and
    item check marks. Two equal snapshots mean nothing was changed."""
    values = []
    for widget in root.findChildren(QtWidgets.QWidget):
        if isinstance(widget, QtWidgets.QLineEdit):
            if not widget.isReadOnly():
                values.append(widget.text())
        elif isinstance(widget, (QtWidgets.QPlainTextEdit, QtWidgets.QTextEdit)):
            if not widget.isReadOnly():
                values.append(widget.toPlainText())
        elif isinstance(widget, QtWidgets.QComboBox):
            values.append(widget.currentText() if widget.isEditable() else widget.currentIndex())
        elif isinstance(widget, (QtWidgets.QCheckBox, QtWidgets.QRadioButton)):
            values.append(widget.isChecked())
        elif isinstance(widget, QtWidgets.QAbstractSpinBox):
            values.append(widget.text())
        elif isinstance(widget, QtWidgets.QListWidget):
            values.append(tuple(widget.item(i).checkState().value for i in range(widget.count())))
        elif isinstance(widget, QtWidgets.QTreeWidget):
            it = QtWidgets.QTreeWidgetItemIterator(widget)
            marks = []
            while it.value() is not None:
                marks.append(it.value().checkState(0).value)
                it += 1
            values.append(tuple(marks))
    return tuple(values)


class GuardedDialog:
    """Mixin for a QDialog (first base): Cancel, Escape and closing the window ask "Discard
    changes?" when the dialog holds unsaved input. A dialog with a `draft_state()` has unsaved
    changes when it has a draft; any other, when its inputs differ from when it was first shown
    (or since `mark_clean()`)."""

    _guard_baseline: tuple | None = None

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self._guard_baseline is None:
            self.mark_clean()
        super().showEvent(event)

    def mark_clean(self) -> None:
        self._guard_baseline = input_snapshot(self)

    def has_unsaved_changes(self) -> bool:
        draft = getattr(self, "draft_state", None)
        if callable(draft):
            return draft() is not None
        return self._guard_baseline is not None and input_snapshot(self) != self._guard_baseline

    def discard_changes(self) -> None:
        with not_asking():
            self.reject()

    def reject(self) -> None:
        if open_question(self) is not None:
            return
        ask_discard(self, self.has_unsaved_changes, lambda: super(GuardedDialog, self).reject())
