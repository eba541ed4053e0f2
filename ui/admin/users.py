"""Users (administrators only): who may unlock this desk, with which role; add a user, disable
one, reset a passphrase. The rules (who may, what is allowed) are in app.users."""

from __future__ import annotations

from app.drafts import discard_draft
from app.errors import SpocError
from app.roles import ROLES
from app.users import add_user, disable_user, list_users
from app.vault.vault import user_name_problem
from ui.kit.keys import primary_button
from ui.kit.dialogs import error_text
from ui.kit.fields import LineBox
from ui.kit.formatting import uk_time
from ui.kit.guard import GuardedDialog
from ui.kit.passphrase_dialog import ChangePassphraseDialog, FittedDialog
from ui.kit.passphrase import NewPassphraseFields
from ui.qt import QtWidgets, Qt, Signal
from ui.kit.widgets import announce, Area, ErrorSummary, FieldRow, frameless_scroll, heading, plain_label, SUCCESS_STYLE
from ui.worker import Op
from ui.kit import theme

COLUMNS = ("User name", "Role", "Active", "Created", "Passphrase changed")


def role_title(role: str) -> str:
    return ROLES.get(role, role).split(":")[0]


def rekey_text(outcome, *, quiet: bool = False) -> str:
    """What a change did to the vault's keys, in the notice under the table."""
    if outcome is None or (quiet and not outcome.rekeyed and not outcome.not_rekeyed_because):
        return ""
    if outcome.rekeyed:
        return ("The vault was rekeyed: old copies of the keyslot file open nothing written from now on. "
                "Backups taken before now still open with the old passphrases: take a fresh backup "
                "(`spocdesk backup`) and destroy the older ones.")
    return outcome.not_rekeyed_because or ""


class DisableUserDialog(GuardedDialog, FittedDialog):
    """Says what disabling does, asks for a reason, and disables on "Disable user"."""

    disabled = Signal(str)
    outcome = None  # app.users.Outcome after "Disable user"

    def __init__(self, vault, user, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.vault = vault
        self.user = user
        self.setWindowTitle(f"Disable {user.name}")
        self.setModal(True)
        self.setMinimumWidth(460)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(8)
        layout.addWidget(heading(f"Disable {user.name}?"))
        layout.addWidget(plain_label(
            f"{user.name} ({role_title(user.role)}) will no longer be able to unlock this vault. "
            "Their passphrase and any key remembered on a workstation are removed at once, and the "
            "vault is rekeyed, so an old copy of the keyslot file with their passphrase opens nothing "
            "written from now on. Backups taken before now still open with it: take a fresh backup. "
            "Everything they did stays in the audit trail. This cannot be undone: to let them back "
            "in, add them again under a new user name."))
        self.summary = ErrorSummary()
        layout.addWidget(self.summary)
        self.reason = LineBox(max_length=200)
        self.reason_row = FieldRow("&Reason", self.reason,
                                   "Kept with the user's record (the audit trail notes only that a reason "
                                   "was given), for example 'left the team'. Do not name anyone else.")
        self.reason.textChanged.connect(lambda _t: self.reason_row.set_error(None))
        layout.addWidget(self.reason_row)
        self.busy = False
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setAccessibleName("Disabling the user and rekeying the vault")
        self.progress.hide()
        layout.addWidget(self.progress)
        buttons = QtWidgets.QDialogButtonBox()
        self.ok_button = buttons.addButton("&Disable user", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setDefault(True)
        buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.reason.setFocus()

    def submit(self) -> None:
        if self.busy:
            return
        reason = self.reason.text().strip()
        if not reason:
            message = "Enter why the user is being disabled"
            self.reason_row.set_error(message)
            self.summary.show_problems([(self.reason, message)])
            self.reason.setFocus()
            return
        # Disabling rekeys the vault (every page re-encrypted: seconds on a large vault), so it
        # runs off the GUI thread.
        self._set_busy(True)
        vault, name = self.vault, self.user.name
        Op(self, lambda: disable_user(vault, name, reason), "The user was not disabled.") \
            .success(self._done).failure(self._failed).run()

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.ok_button.setEnabled(not busy)
        self.reason.setEnabled(not busy)
        self.progress.setVisible(busy)

    def _done(self, outcome) -> None:
        try:
            self._set_busy(False)
        except RuntimeError:  # the dialog went away (the app locked) while the work ran
            return
        self.outcome = outcome
        self.disabled.emit(self.user.name)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        try:
            self._set_busy(False)
        except RuntimeError:
            return
        self.summary.show_problems([(self.reason, error_text(exc, "The user was not disabled."))])

    def reject(self) -> None:
        if not self.busy:
            super().reject()


class UsersArea(Area):
    key = "users"
    title = "Users"
    permission = "users.manage"

    user_added = Signal(str)

    def __init__(self, session, parent: QtWidgets.QWidget | None = None):
        super().__init__(session, parent)
        self._users: list = []
        self._busy = False
        self._dialog: QtWidgets.QDialog | None = None
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = frameless_scroll()
        outer.addWidget(scroll)
        content = QtWidgets.QWidget()
        scroll.setWidget(content)
        layout = QtWidgets.QVBoxLayout(content)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.setSpacing(8)

        layout.addWidget(heading("Users"))
        layout.addWidget(plain_label(
            "Only the people approved to use this desk should have a user (clauses 6.4 and 9.4). "
            "Each role sees only what it needs."))
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setAccessibleName("Users of this vault")
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMinimumHeight(200)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.table)

        actions = QtWidgets.QHBoxLayout()
        self.disable_button = QtWidgets.QPushButton("&Disable user…")
        self.disable_button.clicked.connect(self.disable_selected)
        self.reset_button = QtWidgets.QPushButton("R&eset passphrase…")
        self.reset_button.clicked.connect(self.reset_selected)
        actions.addWidget(self.disable_button)
        actions.addWidget(self.reset_button)
        self.standing_button = QtWidgets.QPushButton("Approval and &training…")
        self.standing_button.setToolTip("Clauses 3.1 and 6.4: who approved the user, and their training")
        self.standing_button.clicked.connect(self.edit_standing)
        actions.addWidget(self.standing_button)
        actions.addStretch(1)
        layout.addLayout(actions)
        self.standing = plain_label("")
        self.standing.setAccessibleName("Approval and training of the selected user")
        layout.addWidget(self.standing)
        self.notice = plain_label("")
        theme.style(self.notice, SUCCESS_STYLE)
        self.notice.hide()
        layout.addWidget(self.notice)

        layout.addSpacing(16)
        form = QtWidgets.QWidget()
        form.setMaximumWidth(680)
        table_layout, layout = layout, QtWidgets.QVBoxLayout(form)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        table_layout.addWidget(form)
        table_layout.addStretch(1)
        layout.addWidget(heading("Add a user", 2))
        self.summary = ErrorSummary()
        layout.addWidget(self.summary)
        self.name = LineBox(max_length=64)
        self.name_row = FieldRow("User &name", self.name,
                                 "2 to 64 letters, digits, dots, hyphens or underscores, such as j.smith.")
        self.name.textChanged.connect(lambda _t: self.name_row.set_error(None))
        layout.addWidget(self.name_row)
        self.role = QtWidgets.QComboBox()
        for role, description in ROLES.items():
            self.role.addItem(description, role)
        self.role.setCurrentIndex(max(self.role.findData("spoc"), 0))
        self.role_row = FieldRow("&Role", self.role, "What the user may see and do on this desk.")
        layout.addWidget(self.role_row)
        self.fields = NewPassphraseFields(
            label="&Passphrase",
            hint="A first passphrase to give the user in person; they should change it when they first sign in.")
        layout.addWidget(self.fields)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setAccessibleName("Adding the user")
        self.progress.hide()
        layout.addWidget(self.progress)
        add_row = QtWidgets.QHBoxLayout()
        self.add_button = QtWidgets.QPushButton("&Add user")
        primary_button(self.add_button)   # Ctrl+S presses it; styled by resources/style.qss
        self.add_button.clicked.connect(self.submit)
        self.clear_button = QtWidgets.QPushButton("C&lear the form")
        self.clear_button.clicked.connect(self.clear_form)
        add_row.addWidget(self.add_button)
        add_row.addWidget(self.clear_button)
        add_row.addStretch(1)
        layout.addLayout(add_row)
        for field in (self.name, self.fields.passphrase, self.fields.confirm):
            field.returnPressed.connect(self.submit)
        self.name.textChanged.connect(
            lambda text: self.fields.set_user_inputs((text.strip(), self.session.vault.agency)))
        self._update_buttons()

    # ---- the table -------------------------------------------------------------------------

    def refresh(self) -> None:
        vault = self.session.vault
        self._users = list_users(vault)
        selected = self.selected_user()
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(self._users))
        for r, user in enumerate(self._users):
            cells = (user.name, role_title(user.role), "Yes" if user.active else "No (disabled)",
                     uk_time(user.created_at), uk_time(user.passphrase_changed_at))
            for c, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, user.name)
                if c == 1:
                    item.setToolTip(ROLES.get(user.role, user.role))
                self.table.setItem(r, c, item)
        self.table.setSortingEnabled(True)
        self.table.resizeColumnsToContents()
        if selected is not None:
            self.select_user(selected.name)
        self._update_buttons()

    def users(self) -> list:
        return list(self._users)

    def select_user(self, name: str) -> None:
        for r in range(self.table.rowCount()):
            item = self.table.item(r, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == name:
                self.table.selectRow(r)
                return

    def selected_user(self):
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        name = item.data(Qt.ItemDataRole.UserRole) if item else None
        return next((u for u in self._users if u.name == name), None)

    def _update_buttons(self) -> None:
        user = self.selected_user()
        me = self.session.vault.user
        usable = user is not None and user.active
        self.disable_button.setEnabled(usable and (me is None or user.id != me.id))
        self.reset_button.setEnabled(usable)
        self.standing_button.setEnabled(user is not None)
        self.standing.setText(_standing_text(self.session.vault, user) if user is not None else "")

    # ---- approval and training (3.1, 6.4) --------------------------------------------------

    def edit_standing(self):
        from app.governance import set_standing, standing
        from ui.kit.dialogs import FormDialog, open_then
        from ui.kit.fields import DateField

        user = self.selected_user()
        if user is None:
            return None
        now = standing(self.session.vault, user.name)

        def submit(d):
            set_standing(self.session.vault, user.name, {
                "approved_by": d.approved_by.value(), "approved_on": d.approved_on.text(),
                "course": d.course.value(), "trained_on": d.trained_on.text(), "renewal_due": d.renewal.text()})

        dialog = FormDialog(self, f"Approval and training of {user.name}",
                            "Clause 3.1: the agency's nominated representative approves each user. Clause 6.4: "
                            "users are trained in their responsibilities.", "&Save", submit)
        dialog.approved_by = dialog.add("approved_by", "Approved &by", LineBox(),
                                        "The agency's nominated representative")
        dialog.approved_on = dialog.add("approved_on", "Date &approved", DateField(), "Day/month/year")
        dialog.course = dialog.add("course", "Training &course", LineBox())
        dialog.trained_on = dialog.add("trained_on", "Date &trained", DateField(), "Day/month/year")
        dialog.renewal = dialog.add("renewal_due", "&Renewal due (optional)", DateField(),
                                    "When the training must be taken again")
        dialog.approved_by.set_value(now.approved_by)
        dialog.approved_on.set_date(now.approved_on)
        dialog.course.set_value(now.course)
        dialog.trained_on.set_date(now.trained_on)
        dialog.renewal.set_date(now.renewal_due)
        self._standing_dialog = dialog
        dialog.keep_over_lock("users_dialog", {"action": "standing", "user": user.name})
        return open_then(dialog, self, lambda: (self._update_buttons(),
                                                self._say(f"Saved the approval and training of {user.name}.")))

    def _say(self, text: str) -> None:
        announce(self.notice, text)

    # ---- disable and reset -----------------------------------------------------------------

    def disable_selected(self) -> DisableUserDialog | None:
        user = self.selected_user()
        if user is None:
            return None
        dialog = DisableUserDialog(self.session.vault, user, self)
        dialog.disabled.connect(lambda name: (self.refresh(), self._say(
            f"{name} has been disabled. " + rekey_text(dialog.outcome))))
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        self._dialog = dialog
        dialog.open()
        return dialog

    def reset_selected(self) -> ChangePassphraseDialog | None:
        user = self.selected_user()
        if user is None:
            return None
        me = self.session.vault.user
        own = me is not None and user.id == me.id
        dialog = ChangePassphraseDialog(self.session.vault, user.name, reset=not own, parent=self)
        dialog.passphrase_changed.connect(
            lambda name: (self.refresh(), self._say(f"The passphrase for {name} has been changed. "
                                                    + rekey_text(dialog.outcome, quiet=True))))
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        self._dialog = dialog
        dialog.open()
        return dialog

    # ---- adding ----------------------------------------------------------------------------

    def submit(self) -> None:
        if self._busy:
            return
        self._say("")
        found = []
        name = self.name.text().strip()
        message = None
        if not name:
            message = "Enter a user name"
        else:
            message = user_name_problem(name)
            if message is None and any(u.name.casefold() == name.casefold() for u in self._users):
                message = f"A user called {name} already exists; choose another user name"
        self.name_row.set_error(message)
        if message:
            found.append((self.name, message))
        found += self.fields.validate()
        self.summary.show_problems(found)
        if found:
            found[0][0].setFocus()
            return
        vault, role, passphrase = self.session.vault, self.role.currentData(), self.fields.value()
        Op(self, lambda: add_user(vault, name, role, passphrase), "The user was not added; nothing was saved.") \
            .busy(self._set_busy).success(self._added).failure(self._add_failed).run()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.progress.setVisible(busy)
        for widget in (self.name, self.role, self.fields, self.add_button, self.clear_button):
            widget.setEnabled(not busy)

    def _added(self, user) -> None:
        self.clear_form()
        self.refresh()
        self.select_user(user.name)
        self._say(f"{user.name} has been added as {role_title(user.role)}. Give them their passphrase in person.")
        self.user_added.emit(user.name)
        self.changed.emit()

    def _add_failed(self, exc: BaseException) -> None:
        text = error_text(exc, "The user was not added; nothing was saved. Try again.")
        field = self.name if "user" in text.lower() and "passphrase" not in text.lower() else self.fields.passphrase
        if field is self.name:
            self.name_row.set_error(text)
        self.summary.show_problems([(field, text)])
        field.setFocus()

    def clear_form(self) -> None:
        self.name.clear()
        self.role.setCurrentIndex(max(self.role.findData("spoc"), 0))
        self.fields.clear()
        self.name_row.set_error(None)
        self.summary.show_problems([])
        try:
            if self.session.vault.user is not None:
                discard_draft(self.session.vault, self.key)
        except SpocError:
            pass

    # ---- drafts ----------------------------------------------------------------------------

    def draft_state(self) -> dict | None:
        name = self.name.text().strip()
        if not name:
            return None
        return {"name": name, "role": self.role.currentData()}

    def discard_changes(self) -> None:
        self.clear_form()

    def restore_draft_state(self, payload: dict) -> None:
        name = payload.get("name")
        if isinstance(name, str):
            self.name.setText(name[:64])
        index = self.role.findData(payload.get("role"))
        if index >= 0:
            self.role.setCurrentIndex(index)


def _standing_text(vault, user) -> str:
    from app.governance import CASEWORK_ROLES, standing
    from app.records import today_london
    from ui.kit.formatting import uk_date

    try:
        s = standing(vault, user.name)
    except SpocError:
        return ""
    approved = f"approved by {s.approved_by} on {uk_date(s.approved_on)}" if s.approved else "approval not recorded"
    trained = (f"trained ({s.course}) on {uk_date(s.trained_on)}" + (f", renewal due {uk_date(s.renewal_due)}"
                                                                     if s.renewal_due else "")
               if s.trained_on else "training not recorded")
    problems = s.problems(today_london()) if s.role in CASEWORK_ROLES else []
    return f"{s.user_name}: {approved}; {trained}." + (" Needs attention before casework." if problems else "")


def reopen_dialog(main, session, payload: dict):
    """After an unlock: the approval and training dialog a lock closed, over the Users area, for the
    same user (ui/shell/shell.py DIALOG_DRAFTS); None if that user or the area has gone."""
    context = payload.get("context") if isinstance(payload, dict) else None
    area = main.area("users")
    if not isinstance(context, dict) or context.get("action") != "standing" or area is None:
        return None
    main.show_area("users")
    area.refresh()   # shown already, showing it again would not
    area.select_user(str(context.get("user") or ""))
    user = area.selected_user()
    if user is None or user.name != context.get("user"):
        return None
    return area.edit_standing()


reopen_dialog.takes_draft = True
