"""Change your own passphrase (checks the current one first), or, for an administrator, reset
another user's. Key derivation and rewrapping run off the GUI thread."""

from __future__ import annotations

from app.errors import SpocError
from app.users import WRONG_CURRENT, WrongCurrentPassphrase, change_passphrase, check_current_passphrase
from ui.kit.dialogs import error_text
from ui.kit.passphrase import NewPassphraseFields, harden
from ui.qt import QtCore, QtWidgets, Qt, Signal
from ui.kit.widgets import ErrorSummary, FieldRow, heading, plain_label
from ui.worker import Op

class FittedDialog(QtWidgets.QDialog):
    """A dialog that grows to the height its word-wrapped labels need at its current width
    (Qt sizes top-level windows without height-for-width, which squeezes wrapped hint text)."""

    def _fit(self) -> None:
        layout = self.layout()
        if layout is None or not layout.hasHeightForWidth():
            return
        needed = layout.totalHeightForWidth(self.width())
        if needed > 0 and needed != self.minimumHeight():
            self.setMinimumHeight(needed)
            if self.height() < needed:
                self.resize(self.width(), needed)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._fit()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit()

    def event(self, event) -> bool:
        result = super().event(event)
        if event.type() == QtCore.QEvent.Type.LayoutRequest:
            self._fit()
        return result


class ChangePassphraseDialog(FittedDialog):
    """`reset=False`: the signed-in user changes their own passphrase (current one required).
    `reset=True`: an administrator sets a new passphrase for `user_name`."""

    passphrase_changed = Signal(str)  # the user's name

    def __init__(self, vault, user_name: str, *, reset: bool = False,
                 parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.vault = vault
        self.user_name = user_name
        self.reset = reset
        self.busy = False
        self.setWindowTitle(f"Reset the passphrase for {user_name}" if reset else "Change your passphrase")
        self.setModal(True)
        self.setMinimumWidth(480)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(8)
        layout.addWidget(heading(self.windowTitle()))
        if reset:
            intro = (f"{user_name} will need the new passphrase the next time they unlock the vault. "
                     "Give it to them in person or by phone, never by e-mail. Their old passphrase "
                     "stops working at once.")
        else:
            intro = ("Use the new passphrase the next time you unlock the vault. Your old passphrase "
                     "stops working at once.")
        layout.addWidget(plain_label(intro))
        self.summary = ErrorSummary()
        layout.addWidget(self.summary)
        self.current = None
        self.current_row = None
        self.outcome = None  # app.users.Outcome once done: whether the vault was rekeyed
        self.why = None
        if reset:
            # Why it is reset decides what happens to the keys (issue 16): a forgotten passphrase
            # rewraps one slot; one that may be known to someone else rekeys the vault.
            box = QtWidgets.QGroupBox()
            box_layout = QtWidgets.QVBoxLayout(box)
            self.why_forgotten = QtWidgets.QRadioButton(f"{user_name} has &forgotten it")
            self.why_known = QtWidgets.QRadioButton("It &may be known to someone else")
            self.why_known.setToolTip(
                "The vault is rekeyed: the old passphrase, even with an old copy of the keyslot file, "
                "opens nothing written from now on.")
            box_layout.addWidget(self.why_forgotten)
            box_layout.addWidget(self.why_known)
            box_layout.addWidget(plain_label(
                "If it may be known to someone else, the vault is rekeyed (a new data key) so the old "
                "passphrase opens nothing written from now on; take a fresh backup afterwards."))
            self.why = QtWidgets.QButtonGroup(self)
            self.why.addButton(self.why_forgotten)
            self.why.addButton(self.why_known)
            self.why_row = FieldRow("W&hy is it being reset?", box)
            layout.addWidget(self.why_row)
        if not reset:
            self.current = harden(QtWidgets.QLineEdit())
            self.current_row = FieldRow("C&urrent passphrase", self.current)
            self.current.textChanged.connect(lambda _t: self.current_row.set_error(None))
            layout.addWidget(self.current_row)
        self.fields = NewPassphraseFields(label="&New passphrase", confirm_label="C&onfirm the new passphrase")
        self.fields.set_user_inputs((user_name, vault.agency))
        layout.addWidget(self.fields)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setAccessibleName("Working")
        self.progress.hide()
        layout.addWidget(self.progress)
        self.buttons = QtWidgets.QDialogButtonBox()
        self.ok_button = self.buttons.addButton(
            "&Reset passphrase" if reset else "&Change passphrase",
            QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        (self.current or self.fields.passphrase).setFocus()

    def submit(self) -> None:
        if self.busy:
            return
        found = []
        if self.current is not None and not self.current.text():
            self.current_row.set_error("Enter your current passphrase")
            found.append((self.current, "Enter your current passphrase"))
        reason = None
        if self.why is not None:
            if self.why.checkedButton() is None:
                message = "Choose why the passphrase is being reset"
                self.why_row.set_error(message)
                found.append((self.why_forgotten, message))
            else:
                self.why_row.set_error(None)
                reason = "may-be-known" if self.why_known.isChecked() else "forgotten"
        found += self.fields.validate()
        self.summary.show_problems(found)
        if found:
            found[0][0].setFocus()
            return
        vault, name, new = self.vault, self.user_name, self.fields.value()
        current = self.current.text() if self.current is not None else None

        def work():
            if current is not None:
                check_current_passphrase(vault, name, current)
            self.outcome = change_passphrase(vault, name, new, reset_reason=reason)
            return name

        Op(self, work, "The passphrase could not be changed; nothing was saved. Try again.").busy(self._set_busy) \
            .success(self._done).failure(self._failed).run()

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.progress.setVisible(busy)
        self.ok_button.setEnabled(not busy)
        self.cancel_button.setEnabled(not busy)
        self.fields.setEnabled(not busy)
        if self.current is not None:
            self.current.setEnabled(not busy)

    def _done(self, name: str) -> None:
        self.fields.clear()
        if self.current is not None:
            self.current.clear()
        self.passphrase_changed.emit(name)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, WrongCurrentPassphrase):
            self.current.clear()
            self.current_row.set_error(WRONG_CURRENT)
            self.summary.show_problems([(self.current, WRONG_CURRENT)])
            self.current.setFocus()
            try:
                self.vault.audit("passphrase.check_failed", record_type="user",
                                 record_id=self.vault.user.id if self.vault.user else None)
            except SpocError:
                pass
            return
        text = error_text(exc, "The passphrase could not be changed; nothing was saved. Try again.")
        self.summary.show_problems([(self.fields.passphrase, text)])

    def reject(self) -> None:
        if self.busy:
            return
        self.fields.clear()
        if self.current is not None:
            self.current.clear()
        super().reject()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self.busy and event.key() == Qt.Key.Key_Escape:
            return
        super().keyPressEvent(event)
