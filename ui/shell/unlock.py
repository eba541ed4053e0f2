"""The unlock screen: the only thing shown while a vault is locked.

Key derivation runs off the GUI thread with a busy indicator. Five failed attempts are free;
then a growing wait (app.unlock_throttle) counted from the failures kept in the keyslot file.
"""

from __future__ import annotations

import logging
from pathlib import Path

from app.errors import AuthError, SpocError, VaultBusy
from app.timeutil import utc_now
from app.unlock_throttle import seconds_left
from app.vault.keyslots import KeyslotFile, keyslot_path
from app.vault import busy_message
from ui.kit import config
from ui.qt import QtCore, QtWidgets, Signal
from ui.kit.keys import primary_button
from ui.kit.widgets import heading, HINT_STYLE, make_selectable, MarkingBanner, plain_label
from ui.worker import Op
from ui.kit import theme

log = logging.getLogger(__name__)


class UnlockWindow(QtWidgets.QWidget):
    unlocked = Signal(object)       # the open Vault
    choose_other_vault = Signal()

    def __init__(self, path: Path, notice: str = "", parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.path = Path(path)
        self.setWindowTitle(f"Unlock {self.path.name} — SPOC Desk")
        self.setObjectName("unlockWindow")
        self._busy = False
        self._op: Op | None = None
        self._wait_timer = QtCore.QTimer(self)
        self._wait_timer.setInterval(1000)
        self._wait_timer.timeout.connect(self._update_wait)

        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(MarkingBanner())
        body = QtWidgets.QWidget()
        outer.addWidget(body, 1)
        outer.addWidget(MarkingBanner())

        column = QtWidgets.QVBoxLayout(body)
        column.setContentsMargins(48, 24, 48, 24)
        column.addStretch(1)
        column.addWidget(heading("SPOC Desk is locked" if notice else "Unlock the vault"))
        # Selectable (to copy the folder) from just after the first paint: looks the same either way.
        self.vault_label = plain_label(f"Vault: {self.path.name}\nFolder: {self.path.parent}")
        self._painted = False
        self.vault_label.setAccessibleName("Vault")
        column.addWidget(self.vault_label)
        self.notice = plain_label(notice)
        self.notice.setVisible(bool(notice))
        self.notice.setAccessibleName("Why the vault is locked")
        column.addWidget(self.notice)
        column.addSpacing(12)

        form = QtWidgets.QFormLayout()
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.user_box = QtWidgets.QComboBox()
        self.user_box.setEditable(True)
        self.user_box.setInsertPolicy(QtWidgets.QComboBox.InsertPolicy.NoInsert)
        self.user_box.setAccessibleName("User name")
        self.passphrase = QtWidgets.QLineEdit()
        self.passphrase.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        self.passphrase.returnPressed.connect(self.attempt_unlock)
        user_label = QtWidgets.QLabel("Us&er")
        user_label.setBuddy(self.user_box)
        pass_label = QtWidgets.QLabel("&Passphrase")
        pass_label.setBuddy(self.passphrase)
        form.addRow(user_label, self.user_box)
        form.addRow(pass_label, self.passphrase)
        column.addLayout(form)

        self.remember_box = QtWidgets.QCheckBox("&Remember on this workstation")
        self.remember_box.setAccessibleName("Remember on this workstation")
        column.addWidget(self.remember_box)
        self.remember_reason = plain_label("")
        theme.style(self.remember_reason, HINT_STYLE)
        column.addWidget(self.remember_reason)

        self.error = plain_label("")
        self.error.setObjectName("unlockError")
        theme.style(self.error, "color: {danger}; font-weight: bold;")
        self.error.setAccessibleName("Unlock problem")
        self.error.hide()
        column.addWidget(self.error)

        self.busy = QtWidgets.QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setAccessibleName("Unlocking")
        self.busy.hide()
        column.addWidget(self.busy)

        buttons = QtWidgets.QHBoxLayout()
        self.other_button = QtWidgets.QPushButton("&Choose another vault")
        self.other_button.clicked.connect(self._choose_other)
        self.remembered_button = QtWidgets.QPushButton("Unlock with remembered &key")
        self.remembered_button.clicked.connect(self.attempt_remembered_unlock)
        self.unlock_button = QtWidgets.QPushButton("&Unlock")
        primary_button(self.unlock_button)   # the clear primary button (resources/style.qss)
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.attempt_unlock)
        buttons.addWidget(self.other_button)
        buttons.addStretch(1)
        buttons.addWidget(self.remembered_button)
        buttons.addWidget(self.unlock_button)
        column.addLayout(buttons)
        column.addStretch(2)

        self.setTabOrder(self.user_box, self.passphrase)
        self.setTabOrder(self.passphrase, self.remember_box)
        self.setTabOrder(self.remember_box, self.unlock_button)
        self.setTabOrder(self.unlock_button, self.remembered_button)
        self.setTabOrder(self.remembered_button, self.other_button)
        self.user_box.currentTextChanged.connect(self._update_remembered)
        self.user_box.currentTextChanged.connect(lambda _t: self._update_wait())
        self.resize(640, 480)
        self.reload()

    # ---- state -----------------------------------------------------------------------------

    def _slots(self) -> KeyslotFile | None:
        try:
            return KeyslotFile.load(keyslot_path(self.path))
        except SpocError as exc:
            self._show_error(str(exc))
            return None

    def reload(self) -> None:
        """Fill the user list, check the vault is not open elsewhere, and arm the wait."""
        slots = self._slots()
        users = sorted({s.user for s in slots.slots_of("passphrase") if s.user}, key=str.casefold) if slots else []
        self.user_box.blockSignals(True)  # one _update_remembered below, not one per change
        self.user_box.clear()
        self.user_box.addItems(users)
        last = config.vault_setting(self.path, "last_user")
        if last and last in users:
            self.user_box.setCurrentText(last)
        self.user_box.blockSignals(False)
        self._update_remembered()
        busy = busy_message(self.path)
        if busy:
            self._show_error(busy + " Switch to that window, or close it and choose Check again.")
            self.unlock_button.setText("Check &again")
            self.unlock_button.clicked.disconnect()
            self.unlock_button.clicked.connect(self._check_again)
            self._set_inputs_enabled(False)
            self.unlock_button.setEnabled(True)
            return
        self._update_wait()

    def _check_again(self) -> None:
        if busy_message(self.path) is None:
            self.unlock_button.setText("&Unlock")
            self.unlock_button.clicked.disconnect()
            self.unlock_button.clicked.connect(self.attempt_unlock)
            self._set_inputs_enabled(True)
            self.error.hide()
            self.reload()
            self.passphrase.setFocus()
        else:
            self._show_error(busy_message(self.path) or "")

    def _update_remembered(self) -> None:
        allowed = bool(config.vault_setting(self.path, "keyring_allowed", False))
        slots = self._slots()
        user = self.user_box.currentText().strip()
        has_slot = bool(slots and user and slots.slots_of("keyring", user))
        # Asking the platform for its credential store costs a few hundred milliseconds (keyring
        # loads its backends); where the policy forbids remembered keys and this user has none,
        # the answer changes nothing on this screen, so it is not asked (a faster unlock screen).
        if allowed or has_slot:
            from app.vault import keyring_slot  # only then: the screen shows before it loads

            status = keyring_slot.status()
        else:
            status = None
        if status is not None and not status.usable:
            reason = f"Not available: {status.reason}."
        elif not allowed:
            reason = "Not available: this vault's policy does not allow remembered keys."
        else:
            reason = ""
        self.remember_box.setEnabled(not reason)
        if reason:
            self.remember_box.setChecked(False)
        self.remember_box.setToolTip(reason)
        self.remember_reason.setText(reason)
        self.remember_reason.setVisible(bool(reason))
        self.remembered_button.setVisible(has_slot and status is not None and status.usable)

    def _wait_seconds(self) -> int:
        """The core's back-off for the user chosen (per user: another user is not held up)."""
        slots = self._slots()
        user = self.user_box.currentText().strip()
        if not slots or not user:
            return 0
        return seconds_left(slots.failed_unlocks, utc_now(), user=user)

    def _update_wait(self) -> None:
        wait = self._wait_seconds()
        if wait > 0:
            self._set_inputs_enabled(False)
            self.user_box.setEnabled(True)  # another user may still unlock
            self.unlock_button.setText(f"Try again in {wait} s")
            self._wait_timer.start()
        else:
            self._wait_timer.stop()
            if not self._busy:
                self._set_inputs_enabled(True)
                self.unlock_button.setText("&Unlock")

    def _set_inputs_enabled(self, enabled: bool) -> None:
        for widget in (self.user_box, self.passphrase, self.unlock_button, self.remembered_button):
            widget.setEnabled(enabled)
        self.remember_box.setEnabled(enabled and not self.remember_reason.text())

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QtCore.QTimer.singleShot(0, self, lambda: make_selectable(self.vault_label))

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        target = self.passphrase if self.user_box.currentText() else self.user_box
        QtCore.QTimer.singleShot(0, target, target.setFocus)  # not called once the screen has gone

    # ---- unlocking -------------------------------------------------------------------------

    def attempt_unlock(self) -> None:
        if self._busy or not self.unlock_button.isEnabled():
            return
        user = self.user_box.currentText().strip()
        secret = self.passphrase.text()
        if not user:
            self._show_error("Enter your user name.")
            self.user_box.setFocus()
            return
        if not secret:
            self._show_error("Enter your passphrase.")
            self.passphrase.setFocus()
            return
        remember = self.remember_box.isChecked()
        path = self.path
        from app.vault.vault import Vault  # here, not at the top: the screen shows before the database code loads

        self._start(lambda: Vault.open(path, user=user, passphrase=secret), user, remember)

    def attempt_remembered_unlock(self) -> None:
        user = self.user_box.currentText().strip()
        if self._busy or not user:
            return
        path = self.path
        from app.vault.vault import Vault

        self._start(lambda: Vault.open_with_keyring(path, user=user), user, False)

    def _start(self, work, user: str, remember: bool) -> None:
        self.error.hide()
        self._op = Op(self, work).busy(self._show_busy).success(lambda vault: self._opened(vault, user, remember)) \
            .failure(self._failed).abandoned(_let_go).run()

    def _show_busy(self, busy: bool) -> None:
        self._busy = busy
        self.busy.setVisible(busy)
        if busy:
            self._set_inputs_enabled(False)

    def _choose_other(self) -> None:
        """The user leaves this vault: an unlock still running is dropped (the vault it opens is
        closed again, quietly), never shown or opened."""
        if self._op is not None:
            self._op.cancel()
            self._op = None
        self.choose_other_vault.emit()

    def _opened(self, vault, user: str, remember: bool) -> None:
        self.passphrase.clear()
        config.set_vault_setting(self.path, "last_user", user)
        config.remember_vault(self.path)
        if remember:
            try:
                vault.remember_on_workstation()
            except SpocError as exc:
                # Unlocked all the same; say why the key was not remembered, over the main window
                # (this screen is gone by then).
                text = f"The key was not remembered: {exc}"
                QtCore.QTimer.singleShot(0, lambda: _tell(QtWidgets.QApplication.activeWindow(), text))
        self.unlocked.emit(vault)

    def _failed(self, exc: BaseException) -> None:
        self.passphrase.clear()
        if isinstance(exc, VaultBusy):
            self._show_error(f"{exc}")
        elif isinstance(exc, (AuthError, SpocError)):
            self._show_error(str(exc))
        else:
            log.error("unlock.unexpected_error %s", type(exc).__name__)
            self._show_error("The vault could not be opened because of an unexpected error; "
                             "the details are in the log file.")
        self._update_wait()  # inputs back, or the chosen user's wait (other users stay choosable)
        self.passphrase.setFocus()


def _let_go(vault) -> None:
    """An unlock that finished after its screen had gone: close the vault it opened."""
    try:
        vault.close(reason="unlock abandoned")
    except SpocError:
        pass
    log.info("unlock.abandoned")


def _tell(parent, text: str) -> None:
    from ui.kit.dialogs import info_box

    box = info_box(parent, "SPOC Desk", text)
    box.open()
